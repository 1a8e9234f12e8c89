"""LTI 1.3 Advantage, tool side: platform registrations and the tool's public keys."""

"""The platform's neutral core: settings, key derivation and secret boxes, media size limits,
named request rates, guarded outbound HTTP and webhook signing. Every other package may import
it; it imports none of them (tests/test_architecture.py)."""

"""Benchmarks of the platform against bare baselines: `python -m bench` (or `make bench`)."""

"""Broker setup, Dramatiq actors (thin), the scheduler process and webhook delivery."""

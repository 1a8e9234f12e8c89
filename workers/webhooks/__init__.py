"""Outbound webhooks (signing and the guarded HTTP client are in core): the retry schedule,
the payload formats (standard, xAPI, LTI AGS) and the delivery actor."""

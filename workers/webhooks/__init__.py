"""Outbound webhooks: Standard Webhooks signing, a guarded HTTP client, the retry schedule,
the payload formats (standard, xAPI, LTI AGS) and the delivery actor."""

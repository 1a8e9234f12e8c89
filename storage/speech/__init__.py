"""Speech services: the speaking-task catalogue, job submissions and fetching recordings.

Functions take the session (and the object store) and never commit; the request or the actor
that called them does.
"""

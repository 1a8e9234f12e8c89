"""Media services: uploads (direct, presigned, multipart), reading, deleting, bulk import.

Functions take the session and the object store and never commit; the request or the actor
that called them does.
"""

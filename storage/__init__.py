"""Relational data (SQLAlchemy models and services) and object storage.

Nothing here imports from `api` or `workers`. Services take the session and their
collaborators as arguments and never commit: the request or the actor that called them does.
"""

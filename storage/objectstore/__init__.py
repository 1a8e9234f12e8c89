"""Object storage: one interface, an S3 backend (minio client) and a local-disk backend.

`build_object_store(ObjectStoreConfig(...))` picks the backend; callers only see
`ObjectStore`, `ObjectInfo`, `Part` and the `ObjectStoreError` family.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

from storage.objectstore.base import (
    MIN_PART_SIZE,
    InvalidKey,
    InvalidRange,
    InvalidToken,
    InvalidUpload,
    ObjectInfo,
    ObjectNotFound,
    ObjectStore,
    ObjectStoreConfig,
    ObjectStoreError,
    ObjectStoreUnavailable,
    ObjectStream,
    Part,
    UploadClosed,
)
from storage.objectstore.httputil import (
    LocalResponse,
    content_disposition,
    handle_local_request,
    parse_range,
    serve_object,
)
from storage.objectstore.keys import media_key, org_prefix, safe_filename, validate_key
from storage.objectstore.local import LOCAL_ROUTE, LocalObjectStore
from storage.objectstore.s3 import S3ObjectStore
from storage.objectstore.tokens import sign_token, verify_token

__all__ = [
    "LOCAL_ROUTE",
    "MIN_PART_SIZE",
    "InvalidKey",
    "InvalidRange",
    "InvalidToken",
    "InvalidUpload",
    "LocalObjectStore",
    "LocalResponse",
    "ObjectInfo",
    "ObjectNotFound",
    "ObjectStore",
    "ObjectStoreConfig",
    "ObjectStoreError",
    "ObjectStoreUnavailable",
    "ObjectStream",
    "Part",
    "S3ObjectStore",
    "UploadClosed",
    "build_object_store",
    "content_disposition",
    "handle_local_request",
    "media_key",
    "org_prefix",
    "parse_range",
    "safe_filename",
    "serve_object",
    "sign_token",
    "validate_key",
    "verify_token",
]


def build_object_store(config: ObjectStoreConfig) -> ObjectStore:
    """The backend named by `config.backend`; raises ValueError naming a missing setting."""
    if config.part_size < MIN_PART_SIZE:
        raise ValueError(f"part size must be at least {MIN_PART_SIZE} bytes")
    if config.backend == "local":
        if config.local_root is None:
            raise ValueError("the local object store needs a root folder (MEDIA_DIR)")
        if not config.signing_secret:
            raise ValueError("the local object store needs a signing secret (SECRET_KEY)")
        return LocalObjectStore(
            Path(config.local_root), config.public_base_url, config.signing_secret
        )
    if config.backend == "s3":
        for name in ("endpoint", "access_key", "secret_key", "bucket"):
            if not getattr(config, name):
                raise ValueError(f"the S3 object store needs {name} (S3_{name.upper()})")
        endpoint, secure = _host_and_tls(config.endpoint, config.secure)
        public_endpoint: str | None = None
        public_secure = secure
        if config.public_endpoint:
            public_endpoint, public_secure = _host_and_tls(config.public_endpoint, secure)
        return S3ObjectStore(
            endpoint=endpoint,
            access_key=config.access_key,
            secret_key=config.secret_key,
            bucket=config.bucket,
            region=config.region,
            secure=secure,
            part_size=config.part_size,
            timeout_seconds=config.timeout_seconds,
            public_endpoint=public_endpoint,
            public_secure=public_secure,
        )
    raise ValueError(f"unknown object store backend {config.backend!r} (use local or s3)")


def _host_and_tls(endpoint: str, secure: bool) -> tuple[str, bool]:
    """`host:port` keeps `secure`; a URL's scheme decides it (https: TLS)."""
    if "://" in endpoint:
        parsed = urlparse(endpoint)
        return parsed.netloc, parsed.scheme == "https"
    return endpoint, secure

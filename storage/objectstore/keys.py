"""Object keys: the `orgs/<organisation>/media/<media id>/<file name>` layout and safe names."""

from __future__ import annotations

import re
import unicodedata

from storage.objectstore.base import InvalidKey

MAX_NAME_BYTES = 120
MAX_KEY_BYTES = 1024  # S3's own limit on a key
_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")
# Letters and digits of any script stay (vocabulary files are often named in the word's own
# script); everything else becomes "_" so a name never carries a path, a quote or a control.
_UNSAFE = re.compile(r"[^\w.-]+")
_RUNS = re.compile(r"_{2,}")


def safe_filename(name: str | None, default: str = "file") -> str:
    """A file name fit for a key and a Content-Disposition header.

    Paths are stripped (both separators), unicode is normalised (NFC), characters outside
    letters, digits, `.`, `-`, `_` are replaced, leading dots are dropped (no hidden files) and
    the UTF-8 length is capped while keeping the extension.
    """
    base = re.split(r"[\\/]", name or "")[-1]
    base = unicodedata.normalize("NFC", base)
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C")
    base = _RUNS.sub("_", _UNSAFE.sub("_", base.strip()))
    base = base.lstrip("._-").rstrip(". ")
    if not base:
        return default
    stem, dot, ext = base.rpartition(".")
    if not dot or not stem or len(ext) > 16:
        stem, ext = base, ""
    ext = f".{ext}" if ext else ""
    budget = MAX_NAME_BYTES - len(ext.encode())
    while len(stem.encode()) > budget:
        stem = stem[:-1]
    return (stem.rstrip("._-") or default) + ext


def _segment(value: str, what: str) -> str:
    if not _SEGMENT.match(value):
        raise InvalidKey(f"{what} {value!r} cannot be part of an object key")
    return value


def media_key(org_id: str, media_id: str, filename: str | None) -> str:
    """The key of one media file: one prefix per organisation, one folder per media row."""
    org = _segment(str(org_id), "organisation id")
    media = _segment(str(media_id), "media id")
    return f"{org_prefix(org)}media/{media}/{safe_filename(filename)}"


def export_prefix(org_id: str, user_id: str) -> str:
    """Where one learner's data exports are kept (erasure removes the folder)."""
    return f"{org_prefix(org_id)}exports/{_segment(str(user_id), 'user id')}/"


def export_key(org_id: str, user_id: str, job_id: str) -> str:
    return f"{export_prefix(org_id, user_id)}{_segment(str(job_id), 'job id')}.zip"


def incoming_key(object_key: str) -> str:
    """Where a presigned PUT writes: beside the media's object, never the object itself. The
    upload is copied into place when it completes, so a presigned URL, which S3 cannot
    revoke before it expires, can never replace a file that was checked."""
    folder, _, name = object_key.rpartition("/")
    return f"{folder}/incoming/{name}"


def org_prefix(org_id: str) -> str:
    return f"orgs/{_segment(str(org_id), 'organisation id')}/"


def validate_key(key: str) -> str:
    """Refuse keys that could escape a folder on disk or confuse a URL."""
    if not key or len(key.encode()) > MAX_KEY_BYTES:
        raise InvalidKey("an object key must be 1..1024 bytes")
    if key.startswith("/") or "\\" in key or "\x00" in key or re.match(r"^[A-Za-z]:", key):
        raise InvalidKey(f"object key {key!r} is not a relative path")
    parts = key.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise InvalidKey(f"object key {key!r} has an empty, '.' or '..' segment")
    if any(unicodedata.category(ch)[0] == "C" for ch in key):
        raise InvalidKey(f"object key {key!r} holds a control character")
    return key

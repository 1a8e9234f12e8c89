"""How large each kind of media may be: defaults, overridable per kind by configuration."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

MiB = 1024 * 1024
MEDIA_KINDS = ("audio", "image", "video", "archive", "document")
# Per-kind ceilings; MAX_UPLOAD_BYTES caps them all and MEDIA_KIND_LIMITS overrides them.
DEFAULT_KIND_LIMITS: Mapping[str, int] = MappingProxyType(
    {
        "audio": 50 * MiB,
        "image": 10 * MiB,
        "video": 500 * MiB,
        "archive": 512 * MiB,
        "document": 10 * MiB,
    }
)


@dataclass(frozen=True)
class UploadLimits:
    """The largest file the platform accepts overall and per kind."""

    max_upload_bytes: int = 512 * MiB
    kinds: Mapping[str, int] = field(default_factory=lambda: DEFAULT_KIND_LIMITS)

    def for_kind(self, kind: str) -> int:
        return min(self.kinds.get(kind, DEFAULT_KIND_LIMITS[kind]), self.max_upload_bytes)

"""Fetching a stored recording for a worker: streamed from the object store to a temp file."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from sqlalchemy.orm import Session

from pipelines.errors import PipelineError, TransientError
from storage.models.media import Media
from storage.objectstore import ObjectNotFound, ObjectStore, ObjectStoreError
from storage.tenancy import tenant_select


@contextmanager
def fetched_recording(
    session: Session, store: ObjectStore, organisation_id: str, media_id: str
) -> Iterator[Path]:
    """A local copy of the organisation's recording, removed when the block ends.

    A file on disk rather than bytes in memory: recordings may be tens of megabytes and a
    worker runs several jobs at once. Missing rows or objects are permanent failures; an
    unreachable store is transient.
    """
    media = session.scalars(
        tenant_select(Media, organisation_id).where(Media.id == media_id)
    ).first()
    if media is None:
        raise PipelineError("media_not_found", f"No media with id {media_id!r}.")
    if media.status != "ready":
        raise PipelineError("media_not_ready", f"The media is {media.status}, not ready.")
    suffix = PurePosixPath(media.filename or "").suffix[:10]
    with tempfile.TemporaryDirectory(prefix="speech-") as directory:
        path = Path(directory) / f"recording{suffix}"
        try:
            with store.get(media.object_key) as stream, open(path, "wb") as out:
                for chunk in stream:
                    out.write(chunk)
        except ObjectNotFound as exc:
            raise PipelineError(
                "media_not_found", "The recording's file is missing from the object store."
            ) from exc
        except ObjectStoreError as exc:
            raise TransientError("object_store_unavailable", f"Object store: {exc}") from exc
        except OSError as exc:  # the worker's disk (full, read-only): another try may work
            raise TransientError("recording_unavailable", f"Copying the recording: {exc}") from exc
        yield path

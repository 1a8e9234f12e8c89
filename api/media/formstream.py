"""multipart/form-data read as it arrives, so an uploaded file goes to the object store
chunk by chunk instead of into memory or a temporary file first.

Fields sent before the file are collected; the file is handed out as an iterator of chunks;
what comes after it is read by `finish()`. As with S3's browser uploads, the form fields
must come before the file: a field after it is refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

from werkzeug.sansio.multipart import Data, Epilogue, Field, File, MultipartDecoder, NeedData

from storage.errors import Unprocessable

CHUNK = 64 * 1024
MAX_FIELD_BYTES = 4096


class StreamedForm:
    def __init__(self, stream: IO[bytes], boundary: str, max_parts: int = 20) -> None:
        self._stream = stream
        # The decoder's buffer holds at most one read plus a boundary's worth of bytes.
        self._decoder = MultipartDecoder(
            boundary.encode(), max_form_memory_size=4 * CHUNK, max_parts=max_parts
        )
        self.fields: dict[str, str] = {}
        self._file_seen = False

    @classmethod
    def from_request(cls, request) -> StreamedForm:  # type: ignore[no-untyped-def]
        if request.mimetype != "multipart/form-data":
            raise Unprocessable("Send the file as multipart/form-data.", code="multipart_required")
        boundary = request.mimetype_params.get("boundary")
        if not boundary:
            raise Unprocessable("The multipart body has no boundary.", code="multipart_invalid")
        return cls(request.stream, boundary)

    def _events(self) -> Iterator[object]:
        while True:
            try:
                event = self._decoder.next_event()
            except ValueError:  # the body ended before its closing boundary
                raise Unprocessable(
                    "The multipart body is cut short or malformed.", code="multipart_invalid"
                ) from None
            if isinstance(event, NeedData):
                self._decoder.receive_data(self._stream.read(CHUNK) or None)
                continue
            yield event
            if isinstance(event, Epilogue):
                return

    def _field_value(self, events: Iterator[object], name: str) -> str:
        value = bytearray()
        for event in events:
            if not isinstance(event, Data):
                break
            value += event.data
            if len(value) > MAX_FIELD_BYTES:
                raise Unprocessable(f"The form field {name!r} is too long.", code="field_too_long")
            if not event.more_data:
                break
        try:
            return value.decode()
        except UnicodeDecodeError:
            raise Unprocessable(
                f"The form field {name!r} is not UTF-8.", code="multipart_invalid"
            ) from None

    def next_file(self, name: str = "file") -> tuple[str, Iterator[bytes]] | None:
        """Read up to the file part `name`; its file name and its chunks, or None."""
        self._iterator = self._events()
        for event in self._iterator:
            if isinstance(event, Field):
                self.fields[event.name] = self._field_value(self._iterator, event.name)
            elif isinstance(event, File):
                if event.name != name:
                    raise Unprocessable(
                        f"Unexpected file part {event.name!r}; send {name!r}.",
                        code="unexpected_file",
                    )
                self._file_seen = True
                return event.filename or "file", self._file_chunks()
            elif isinstance(event, Epilogue):
                return None
        return None

    def _file_chunks(self) -> Iterator[bytes]:
        for event in self._iterator:
            if not isinstance(event, Data):
                raise Unprocessable("The file part is malformed.", code="multipart_invalid")
            if event.data:
                yield event.data
            if not event.more_data:
                return

    def finish(self) -> None:
        """Read the rest of the body; a field or file after the file is refused."""
        for event in self._iterator:
            if isinstance(event, Field | File):
                raise Unprocessable(
                    f"Send form fields before the file; {event.name!r} came after it.",
                    code="field_after_file",
                )

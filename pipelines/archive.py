"""Safe reading of uploaded zip archives (the CSV manifest is read by pipelines.manifest).

Plain Python: the worker hands in a file-like object and gets entries or issues back. Every
limit is enforced on the bytes actually decompressed, so a header that lies about sizes
gains nothing. A bad entry becomes an `ArchiveIssue` with a stable code and the walk goes on;
only an archive that cannot be read at all raises `PipelineError("archive_invalid")`.

Issue codes: unsafe_path, symlink, special_file, encrypted, unsupported_compression,
duplicate_name, entry_too_large, total_too_large, compression_ratio, entry_corrupt.
"""

from __future__ import annotations

import inspect
import io
import re
import stat
import struct
import tempfile
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Protocol

from pipelines.errors import PipelineError

CHUNK = 64 * 1024
SPOOL_IN_MEMORY = 1024 * 1024


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


@dataclass(frozen=True)
class ArchiveLimits:
    max_archive_bytes: int = 1024 * 1024 * 1024
    max_entries: int = 5000
    max_entry_bytes: int = 50 * 1024 * 1024
    max_total_bytes: int = 512 * 1024 * 1024
    max_ratio: float = 100.0
    # Small text-like files compress far better than media; below this size the ratio is
    # not checked, since no bomb is possible in so few bytes.
    ratio_grace_bytes: int = 1024 * 1024


@dataclass
class ArchiveEntry:
    """A file that passed every check. `file` is positioned at 0 and is closed (and gone)
    once the iteration moves to the next item."""

    name: str
    size: int
    file: IO[bytes]
    crc32: int = 0


@dataclass(frozen=True)
class ArchiveIssue:
    name: str
    code: str
    message: str


ArchiveItem = ArchiveEntry | ArchiveIssue


def spool(source: Readable | Iterable[bytes], max_bytes: int) -> IO[bytes]:
    """Copy a stream into a spooled temporary file (zip needs seeking), refusing oversize."""
    target = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    chunks = iter(lambda: source.read(CHUNK), b"") if hasattr(source, "read") else source
    size = 0
    for chunk in chunks:  # type: ignore[union-attr]
        size += len(chunk)
        if size > max_bytes:
            target.close()
            raise PipelineError("archive_too_large", f"the archive is over {max_bytes} bytes")
        target.write(chunk)
    target.seek(0)
    return target


def safe_entry_name(name: str) -> str | None:
    """The entry's relative path, or None when it could escape the folder it is unpacked in."""
    if not name or "\\" in name or name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return None
    if any(unicodedata.category(ch)[0] == "C" for ch in name):
        return None
    parts = [part for part in name.split("/") if part not in ("", ".")]
    if not parts or ".." in parts:
        return None
    return unicodedata.normalize("NFC", "/".join(parts))


def _is_junk(name: str) -> bool:
    # Finder adds these to every zip made on a Mac; they are not the teacher's files.
    base = name.rsplit("/", 1)[-1]
    return name.startswith("__MACOSX/") or base == ".DS_Store" or base.startswith("._")


_EOCD = struct.Struct("<4s4H2LH")  # end of central directory record
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")
_CENTRAL = struct.Struct("<4s6H3L5H2L")  # central directory file header
_LOCAL = struct.Struct("<4s5H3L2H")  # local file header
_DECODE_EXTRA_TAKES_CRC = len(inspect.signature(zipfile.ZipInfo._decodeExtra).parameters) > 1


def _central_directory(file: IO[bytes]) -> tuple[int, int]:
    """Where the central directory starts and where it may end at most (the archive's end
    of data). Its entry count is not read: it is the archive's own claim, and a forged one
    (1 for 6,000 entries) would wave a directory bomb through."""
    file.seek(0, io.SEEK_END)
    size = file.tell()
    tail_size = min(size, _EOCD.size + 65535)
    file.seek(size - tail_size)
    tail = file.read(tail_size)
    where = tail.rfind(b"PK\x05\x06")
    if where < 0 or where + _EOCD.size > len(tail):
        raise PipelineError("archive_invalid", "the file is not a zip archive")
    eocd_at = size - tail_size + where
    offset = _EOCD.unpack_from(tail, where)[6]
    locator_at = where - _ZIP64_LOCATOR.size
    if offset == 0xFFFFFFFF and locator_at >= 0 and tail[locator_at:where][:4] == b"PK\x06\x07":
        (_, _, record_at, _) = _ZIP64_LOCATOR.unpack_from(tail, locator_at)
        file.seek(record_at)
        record = file.read(_ZIP64_EOCD.size)
        if len(record) == _ZIP64_EOCD.size and record[:4] == b"PK\x06\x06":
            offset = _ZIP64_EOCD.unpack(record)[9]
            eocd_at = record_at
    if offset > eocd_at:
        raise PipelineError("archive_invalid", "the archive's directory is out of place")
    return offset, eocd_at


def _entries(file: IO[bytes], max_entries: int | None = None) -> Iterator[zipfile.ZipInfo]:
    """The central directory's records, read one at a time (one record in memory, however
    many there are); past `max_entries` records the archive is refused."""
    position, end = _central_directory(file)
    count = 0
    while position + _CENTRAL.size <= end:
        file.seek(position)
        header = file.read(_CENTRAL.size)
        if len(header) < _CENTRAL.size or header[:4] != b"PK\x01\x02":
            break
        fields = _CENTRAL.unpack(header)
        name_length, extra_length, comment_length = fields[10], fields[11], fields[12]
        count += 1
        if max_entries is not None and count > max_entries:
            raise PipelineError(
                "archive_too_many_entries", f"the archive holds more than {max_entries} files"
            )
        raw_name = file.read(name_length)
        extra = file.read(extra_length)
        position += _CENTRAL.size + name_length + extra_length + comment_length
        yield _zip_info(fields, raw_name, extra)


def _zip_info(fields: tuple, raw_name: bytes, extra: bytes) -> zipfile.ZipInfo:
    flags = fields[3]
    name = raw_name.decode("utf-8" if flags & 0x800 else "cp437", "replace")
    info = zipfile.ZipInfo(name)
    info.orig_filename = name
    info.create_version, info.create_system = fields[1] & 0xFF, fields[1] >> 8
    info.extract_version, info.flag_bits, info.compress_type = fields[2], flags, fields[4]
    info.CRC, info.compress_size, info.file_size = fields[7], fields[8], fields[9]
    info.volume, info.internal_attr, info.external_attr = fields[13], fields[14], fields[15]
    info.header_offset = fields[16]
    info.extra = extra
    try:  # zip64 sizes and offset; newer Pythons also check a Unicode-path field's CRC
        if _DECODE_EXTRA_TAKES_CRC:
            info._decodeExtra(zlib.crc32(raw_name))  # type: ignore[call-arg]
        else:
            info._decodeExtra()
    except Exception as exc:  # zipfile raises BadZipFile on a corrupt extra field
        raise PipelineError("archive_invalid", f"the archive cannot be read: {exc}") from exc
    return info


def _open_entry(file: IO[bytes], info: zipfile.ZipInfo) -> IO[bytes]:
    """A reader of one entry's decompressed bytes (as ZipFile.open, without the directory)."""
    file.seek(info.header_offset)
    header = file.read(_LOCAL.size)
    if len(header) < _LOCAL.size or header[:4] != b"PK\x03\x04":
        raise zipfile.BadZipFile("bad local file header")
    fields = _LOCAL.unpack(header)
    file.read(fields[9])  # its name: the directory's copy is the one checked
    file.read(fields[10])
    return zipfile.ZipExtFile(file, "r", info, None, False)


def entry_count(file: IO[bytes], stop_after: int | None = None) -> int:
    """The number of entries, counted record by record (at most `stop_after` + 1)."""
    count = 0
    for _ in _entries(file):
        count += 1
        if stop_after is not None and count > stop_after:
            break
    file.seek(0)
    return count


def iter_zip(
    file: IO[bytes],
    limits: ArchiveLimits | None = None,
    include: Callable[[str], bool] | None = None,
) -> Iterator[ArchiveItem]:
    """Walk a seekable zip file, yielding an entry or an issue for every file in it.

    With `include`, only entries whose safe name it accepts are read (and nothing is said
    about the others): a way to pick one file, such as a manifest, out of an archive.
    """
    limits = limits or ArchiveLimits()
    # Counted from the records themselves before anything is unpacked, so an archive over
    # the limit is refused as a whole.
    for _ in _entries(file, limits.max_entries):
        pass
    seen: set[str] = set()
    used = 0
    for info in _entries(file, limits.max_entries):
        mode = info.external_attr >> 16
        if info.is_dir() or stat.S_ISDIR(mode) or _is_junk(info.filename):
            continue
        name = safe_entry_name(info.orig_filename)
        if include is not None and (name is None or not include(name)):
            continue
        if name is None:
            yield ArchiveIssue(
                info.orig_filename, "unsafe_path", "the name is absolute or leaves its folder"
            )
            continue
        issue = _check_header(info, name, mode, seen, limits, limits.max_total_bytes - used)
        if issue is not None:
            yield issue
            continue
        seen.add(name)
        # The walk of the directory resumes from its own position after this entry is read.
        item = _extract(file, info, name, limits, limits.max_total_bytes - used)
        if isinstance(item, ArchiveIssue):
            yield item
            continue
        used += item.size
        try:
            yield item
        finally:
            item.file.close()


def _check_header(
    info: zipfile.ZipInfo,
    name: str,
    mode: int,
    seen: set[str],
    limits: ArchiveLimits,
    budget: int,
) -> ArchiveIssue | None:
    if stat.S_ISLNK(mode):
        return ArchiveIssue(name, "symlink", "links are not accepted")
    if stat.S_IFMT(mode) not in (0, stat.S_IFREG):
        return ArchiveIssue(name, "special_file", "only regular files are accepted")
    if info.flag_bits & 0x1:
        return ArchiveIssue(name, "encrypted", "encrypted entries are not accepted")
    if name in seen:
        return ArchiveIssue(name, "duplicate_name", "another entry has the same name")
    # Headers can lie, so these only refuse early what the byte count would refuse later.
    if info.file_size > limits.max_entry_bytes:
        return _too_large(name, limits.max_entry_bytes)
    if info.file_size > budget:
        return _total_too_large(name, limits.max_total_bytes)
    if info.file_size > limits.ratio_grace_bytes and info.file_size > limits.max_ratio * max(
        info.compress_size, 1
    ):
        return _ratio(name, limits.max_ratio)
    return None


def _too_large(name: str, limit: int) -> ArchiveIssue:
    return ArchiveIssue(name, "entry_too_large", f"the file is over {limit} bytes")


def _total_too_large(name: str, limit: int) -> ArchiveIssue:
    return ArchiveIssue(name, "total_too_large", f"the files together are over {limit} bytes")


def _ratio(name: str, limit: float) -> ArchiveIssue:
    return ArchiveIssue(name, "compression_ratio", f"the file expands more than {limit:g} times")


def _extract(
    archive: IO[bytes],
    info: zipfile.ZipInfo,
    name: str,
    limits: ArchiveLimits,
    budget: int,
) -> ArchiveItem:
    target = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)
    item = _copy_entry(archive, info, name, limits, budget, target)
    if isinstance(item, ArchiveIssue):
        target.close()
        return item
    target.seek(0)
    return item


def _copy_entry(
    archive: IO[bytes],
    info: zipfile.ZipInfo,
    name: str,
    limits: ArchiveLimits,
    budget: int,
    target: IO[bytes],
) -> ArchiveItem:
    size = 0
    crc = 0
    compressed = max(info.compress_size, 1)
    try:
        with _open_entry(archive, info) as source:
            while chunk := source.read(CHUNK):
                size += len(chunk)
                if size > limits.max_entry_bytes:
                    return _too_large(name, limits.max_entry_bytes)
                if size > budget:
                    return _total_too_large(name, limits.max_total_bytes)
                if size > limits.ratio_grace_bytes and size > limits.max_ratio * compressed:
                    return _ratio(name, limits.max_ratio)
                crc = zlib.crc32(chunk, crc)
                target.write(chunk)
    except NotImplementedError as exc:
        return ArchiveIssue(name, "unsupported_compression", str(exc))
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
        return ArchiveIssue(name, "entry_corrupt", f"the entry cannot be read: {exc}")
    return ArchiveEntry(name=name, size=size, file=target, crc32=crc)

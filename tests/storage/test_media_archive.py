"""Safe zip reading: traversal names, links, size limits, bombs and broken archives."""

from __future__ import annotations

import io
import random
import stat
import struct
import zipfile

import pytest

from pipelines.archive import (
    ArchiveEntry,
    ArchiveIssue,
    ArchiveLimits,
    iter_zip,
    safe_entry_name,
    spool,
)
from pipelines.errors import PipelineError

SMALL = ArchiveLimits(
    max_entries=50,
    max_entry_bytes=100_000,
    max_total_bytes=250_000,
    max_ratio=50,
    ratio_grace_bytes=10_000,
)


def make_zip(entries: list[tuple[str | zipfile.ZipInfo, bytes]], compress=zipfile.ZIP_DEFLATED):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compress) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return buffer.getvalue()


def noise(size: int, seed: int = 1) -> bytes:
    """Bytes that do not compress, so the ratio check stays out of size tests."""
    return random.Random(seed).randbytes(size)


def walk(data: bytes, limits: ArchiveLimits = SMALL):
    """Entries as (name, bytes) and issues as (name, code), read while the walk goes on."""
    results = []
    for item in iter_zip(io.BytesIO(data), limits):
        if isinstance(item, ArchiveEntry):
            results.append(("entry", item.name, item.file.read()))
        else:
            results.append(("issue", item.name, item.code))
    return results


def test_good_entries_come_out_byte_exact(media_samples):
    # Given a zip with audio, an image in a folder, and a directory entry
    data = make_zip(
        [
            ("hello.wav", media_samples["wav"]),
            ("images/", b""),
            ("images/cat.png", media_samples["png"]),
        ]
    )

    # When it is walked
    results = walk(data)

    # Then both files come out whole and the directory is skipped
    assert results == [
        ("entry", "hello.wav", media_samples["wav"]),
        ("entry", "images/cat.png", media_samples["png"]),
    ]


@pytest.mark.parametrize(
    "name",
    [
        "../evil.wav",
        "a/../../evil.wav",
        "/etc/passwd",
        "C:/Windows/evil.wav",
        "..\\evil.wav",
        "a\\..\\..\\evil.wav",
        "ok/\x01.wav",
    ],
)
def test_unsafe_names_are_reported_and_the_rest_goes_on(name):
    # Given a zip-slip name between two good entries
    data = make_zip([("first.wav", b"RIFF1"), (name, b"evil"), ("last.wav", b"RIFF2")])

    # When walked, Then the bad one is an unsafe_path issue and the others come out
    assert walk(data) == [
        ("entry", "first.wav", b"RIFF1"),
        ("issue", name, "unsafe_path"),
        ("entry", "last.wav", b"RIFF2"),
    ]


def test_safe_entry_name_normalises():
    # Given harmless oddities, When normalised, Then a clean relative path
    assert safe_entry_name("./a//b/./c.wav") == "a/b/c.wav"
    assert safe_entry_name("cafe\u0301.wav") == "café.wav"


def test_symlinks_and_special_files_are_refused():
    # Given a symlink to /etc/passwd and a FIFO, as Unix zip tools store them
    link = zipfile.ZipInfo("passwd.wav")
    link.create_system = 3
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    fifo = zipfile.ZipInfo("pipe.wav")
    fifo.create_system = 3
    fifo.external_attr = (stat.S_IFIFO | 0o644) << 16
    data = make_zip([(link, b"/etc/passwd"), (fifo, b""), ("ok.wav", b"RIFF")])

    # When walked, Then both are refused with their codes
    assert walk(data) == [
        ("issue", "passwd.wav", "symlink"),
        ("issue", "pipe.wav", "special_file"),
        ("entry", "ok.wav", b"RIFF"),
    ]


def test_oversized_entry_and_total_limits():
    # Given entries of 120 kB (over the entry limit) and three of 90 kB (over the total)
    big = noise(120_000)
    part = noise(90_000, seed=2)
    data = make_zip(
        [
            ("big.wav", big),
            ("a.wav", part),
            ("b.wav", part),
            ("c.wav", part),
            ("small.wav", b"RIFF"),
        ]
    )

    # When walked
    results = walk(data)

    # Then the big one is too large, the third 90 kB one breaks the total, the rest pass
    assert [
        (kind, name, value if kind == "issue" else len(value)) for kind, name, value in results
    ] == [
        ("issue", "big.wav", "entry_too_large"),
        ("entry", "a.wav", len(part)),
        ("entry", "b.wav", len(part)),
        ("issue", "c.wav", "total_too_large"),
        ("entry", "small.wav", 4),
    ]


def test_a_zip_bomb_is_stopped_by_the_compression_ratio():
    # Given 20 MB of zeros that deflate to a few kB, with generous size limits
    limits = ArchiveLimits(max_entry_bytes=100_000_000, max_total_bytes=100_000_000, max_ratio=100)
    data = make_zip([("bomb.wav", bytes(20_000_000)), ("ok.wav", b"RIFF")])

    # When walked, Then the bomb is refused and the good entry still comes out
    assert walk(data, limits) == [
        ("issue", "bomb.wav", "compression_ratio"),
        ("entry", "ok.wav", b"RIFF"),
    ]


def _rewrite_central_sizes(data: bytes, name: bytes, file_size: int) -> bytes:
    """Make the central directory lie about an entry's uncompressed size."""
    buffer = bytearray(data)
    where = _central_record(buffer, name)
    buffer[where + 24 : where + 28] = struct.pack("<I", file_size)
    return bytes(buffer)


def _central_record(buffer: bytearray, name: bytes) -> int:
    where = buffer.find(b"PK\x01\x02")
    while where >= 0:
        (name_length,) = struct.unpack("<H", buffer[where + 28 : where + 30])
        if bytes(buffer[where + 46 : where + 46 + name_length]) == name:
            return where
        where = buffer.find(b"PK\x01\x02", where + 4)
    raise AssertionError("entry not found")


def _mark_encrypted(data: bytes, name: bytes) -> bytes:
    """Set the 'encrypted' flag the way a password-protecting zip tool does."""
    buffer = bytearray(data)
    central = _central_record(buffer, name)
    buffer[central + 8] |= 0x1
    (local,) = struct.unpack("<I", buffer[central + 42 : central + 46])
    buffer[local + 6] |= 0x1
    return bytes(buffer)


def test_a_header_that_understates_the_size_gains_nothing():
    # Given a 150 kB entry whose directory claims 1 kB (under the 100 kB entry limit)
    payload = noise(150_000)
    data = _rewrite_central_sizes(
        make_zip([("liar.wav", payload), ("ok.wav", b"RIFF")]), b"liar.wav", 1000
    )

    # When walked
    results = walk(data)

    # Then no entry over the limit ever comes out: the liar is reported, the rest goes on
    assert results[0][:2] == ("issue", "liar.wav")
    assert results[0][2] in {"entry_corrupt", "entry_too_large"}
    assert results[1] == ("entry", "ok.wav", b"RIFF")


def test_a_corrupt_entry_is_reported_and_the_rest_goes_on():
    # Given a zip whose first entry's compressed bytes were damaged
    payload = noise(20_000)
    data = bytearray(make_zip([("bad.wav", payload), ("ok.wav", b"RIFF")]))
    start = 30 + len("bad.wav")
    data[start + 10 : start + 30] = b"\xff" * 20

    # When walked, Then the damaged entry is entry_corrupt and the next one is intact
    assert walk(bytes(data)) == [
        ("issue", "bad.wav", "entry_corrupt"),
        ("entry", "ok.wav", b"RIFF"),
    ]


@pytest.mark.filterwarnings("ignore:Duplicate name")
def test_duplicates_encrypted_and_mac_junk():
    # Given a duplicated name, an entry flagged as encrypted, and Finder's extra files
    data = make_zip(
        [
            ("a.wav", b"RIFF1"),
            ("a.wav", b"RIFF2"),
            ("secret.wav", b"xxxx"),
            ("__MACOSX/._a.wav", b"junk"),
            (".DS_Store", b"junk"),
        ]
    )
    data = _mark_encrypted(data, b"secret.wav")

    # When walked, Then the duplicate and the encrypted entry are refused, the junk ignored
    assert walk(data) == [
        ("entry", "a.wav", b"RIFF1"),
        ("issue", "a.wav", "duplicate_name"),
        ("issue", "secret.wav", "encrypted"),
    ]


@pytest.mark.parametrize(
    "data",
    [b"", b"not a zip at all", b"PK\x03\x04" + bytes(100)],
)
def test_a_broken_archive_fails_with_a_code(data):
    # Given bytes that are not a readable zip, When walked, Then archive_invalid
    with pytest.raises(PipelineError) as error:
        list(iter_zip(io.BytesIO(data)))
    assert error.value.code == "archive_invalid"


def test_a_truncated_archive_fails_with_a_code():
    # Given a zip cut before its central directory
    data = make_zip([("a.wav", bytes(range(256)) * 100)])

    # When walked, Then archive_invalid
    with pytest.raises(PipelineError) as error:
        list(iter_zip(io.BytesIO(data[: len(data) // 2])))
    assert error.value.code == "archive_invalid"


def test_too_many_entries_is_refused_before_reading():
    # Given a zip with more files than allowed
    data = make_zip([(f"{index}.wav", b"RIFF") for index in range(60)])

    # When walked, Then it is refused as a whole
    with pytest.raises(PipelineError) as error:
        list(iter_zip(io.BytesIO(data), SMALL))
    assert error.value.code == "archive_too_many_entries"


def test_spool_streams_into_a_temporary_file_and_enforces_a_limit():
    # Given an archive arriving in chunks
    data = make_zip([("a.wav", b"RIFF")])
    chunks = [data[i : i + 10] for i in range(0, len(data), 10)]

    # When spooled, Then it can be walked
    assert walk(spool(iter(chunks), 10_000).read()) == [("entry", "a.wav", b"RIFF")]

    # And a stream over the limit is refused
    with pytest.raises(PipelineError) as error:
        spool(io.BytesIO(data), 10)
    assert error.value.code == "archive_too_large"


def test_entry_files_are_closed_when_the_walk_moves_on():
    # Given a zip with two entries
    data = make_zip([("a.wav", b"RIFF1"), ("b.wav", b"RIFF2")])

    # When the walk moves past the first entry
    walker = iter_zip(io.BytesIO(data), SMALL)
    first = next(walker)
    next(walker)

    # Then its temporary file is closed
    assert isinstance(first, ArchiveEntry)
    assert first.file.closed
    assert not isinstance(first, ArchiveIssue)


def test_include_picks_one_file_out_of_the_archive():
    # Given a zip with a manifest among other files, one of them unsafe
    data = make_zip([("a.wav", b"RIFF"), ("../x.wav", b"x"), ("manifest.csv", b"filename,word")])

    # When only the manifest is asked for
    picked = walk_with(data, include=lambda name: name == "manifest.csv")

    # Then it alone comes out, and nothing is said about the others
    assert picked == [("entry", "manifest.csv", b"filename,word")]


def walk_with(data: bytes, include):
    return [
        ("entry", item.name, item.file.read())
        if isinstance(item, ArchiveEntry)
        else ("issue", item.name, item.code)
        for item in iter_zip(io.BytesIO(data), SMALL, include=include)
    ]

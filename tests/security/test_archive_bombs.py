"""Zip archives that lie: the entry count comes from the entries themselves, not from the
end-of-central-directory record the archive's author writes."""

from __future__ import annotations

import io
import struct
import tracemalloc
import zipfile

import pytest

from pipelines.archive import ArchiveLimits, entry_count, iter_zip
from pipelines.errors import PipelineError

LIMITS = ArchiveLimits(
    max_entries=5000, max_entry_bytes=1024 * 1024, max_total_bytes=8 * 1024 * 1024
)


def many_entries(count: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for index in range(count):
            archive.writestr(f"{index}.txt", b"x")
    return buffer.getvalue()


def forge_count(data: bytes, claimed: int) -> bytes:
    """The same archive whose end-of-central-directory record claims `claimed` entries."""
    where = data.rfind(b"PK\x05\x06")
    forged = bytearray(data)
    struct.pack_into("<HH", forged, where + 8, claimed, claimed)
    return bytes(forged)


def test_a_forged_entry_count_does_not_let_6000_entries_through():
    # Given 6,000 entries whose archive says it holds 1
    data = forge_count(many_entries(6000), 1)
    # When walked under a limit of 5,000, Then the archive is refused as a whole
    with pytest.raises(PipelineError) as error:
        next(iter_zip(io.BytesIO(data), LIMITS))
    assert error.value.code == "archive_too_many_entries"
    # And the progress count is read from the records, not the claim
    assert entry_count(io.BytesIO(data)) == 6000


def test_a_claim_of_more_entries_than_there_are_is_harmless():
    data = forge_count(many_entries(3), 60000)
    assert [item.name for item in iter_zip(io.BytesIO(data), LIMITS)] == ["0.txt", "1.txt", "2.txt"]


def test_the_directory_is_read_one_record_at_a_time():
    # Given an archive of 4,000 entries (a directory of ~200 KB)
    data = many_entries(4000)
    # When it is walked
    tracemalloc.start()
    try:
        for item in iter_zip(io.BytesIO(data), LIMITS):
            assert item.name
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Then memory stays far below what a loaded directory costs (zipfile: ~8x the directory)
    assert peak < 1024 * 1024, peak

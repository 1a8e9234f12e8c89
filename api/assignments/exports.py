"""Export cells and the XLSX writer of an assignment's results."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable, Iterator
from typing import Any

from storage.reviews import EXPORT_COLUMNS

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK = 64 * 1024


def cell(value: object) -> str:
    """A value as exported text; a cell a spreadsheet would run as a formula is quoted."""
    if value is None:
        return ""
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    text = str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text


def xlsx_chunks(rows: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    """The workbook, written row by row (openpyxl's write-only mode) to a temporary file,
    then sent in chunks: an XLSX is a zip, complete only once its directory is written."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Results")
    sheet.append(list(EXPORT_COLUMNS))
    for row in rows:
        sheet.append([cell(row[column]) for column in EXPORT_COLUMNS])
    target = tempfile.TemporaryFile()
    workbook.save(target)
    target.seek(0)
    return _read(target)


def _read(target: Any) -> Iterator[bytes]:
    with target:
        while chunk := target.read(CHUNK):
            yield chunk

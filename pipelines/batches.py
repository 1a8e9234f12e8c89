"""The sheets of a batch assessment, as plain values: the manifest that maps each file to a
learner, the sheet of learners' texts, and file-name patterns.

Manifest columns: filename (or file, path), learner (or email, external_id, learner_email,
student). Text sheet columns: learner (same aliases), text, and optionally name. A CSV (UTF-8
with or without a byte-order mark; comma, semicolon or tab separated) or an .xlsx workbook
(its first worksheet). A sheet that cannot be used at all raises PipelineError; a bad row
becomes a SheetIssue and the other rows stand.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

import openpyxl

from pipelines.archive import safe_entry_name
from pipelines.errors import PipelineError

_LEARNER_ALIASES = (
    "learner",
    "email",
    "learner_email",
    "external_id",
    "learner_id",
    "student",
    "user",
)
_FILE_ALIASES = ("filename", "file", "file_name", "path")
MAX_ROWS = 10_000
MAX_PATTERN = 200


@dataclass(frozen=True)
class SheetRow:
    line: int
    learner: str
    filename: str | None = None
    text: str | None = None


@dataclass(frozen=True)
class SheetIssue:
    line: int
    name: str
    code: str
    message: str


@dataclass
class Sheet:
    rows: list[SheetRow] = field(default_factory=list)
    issues: list[SheetIssue] = field(default_factory=list)

    def find(self, name: str) -> SheetRow | None:
        """The row of a file: by its relative path, else by a base name no other row shares."""
        for row in self.rows:
            if row.filename == name:
                return row
        base = name.rsplit("/", 1)[-1]
        matches = [r for r in self.rows if (r.filename or "").rsplit("/", 1)[-1] == base]
        return matches[0] if len(matches) == 1 else None


Records = Iterator[tuple[int, list[str]]]


def _records(data: bytes, max_bytes: int) -> tuple[list[str], Records]:
    """The header (lower case, spaces as `_`) and the rows with their line numbers, of a CSV
    or an .xlsx workbook (its first worksheet)."""
    if len(data) > max_bytes:
        raise PipelineError("sheet_too_large", f"the sheet is over {max_bytes} bytes")
    if data.startswith(b"PK\x03\x04"):
        header, rows = _workbook_records(data)
    else:
        header, rows = _csv_records(data)
    return [re.sub(r"\s+", "_", h.strip().lower()) for h in header], rows


def _csv_records(data: bytes) -> tuple[list[str], Records]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise PipelineError("sheet_encoding", "the sheet is UTF-16; save it as CSV UTF-8")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PipelineError(
            "sheet_encoding",
            f"the sheet is not UTF-8 (byte offset {exc.start}); save it as CSV UTF-8",
        ) from None
    if "\x00" in text:
        raise PipelineError("sheet_invalid", "the sheet holds NUL characters")
    if not text.strip():
        raise PipelineError("sheet_empty", "the sheet has no rows")
    first = text.lstrip().splitlines()[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except csv.Error as exc:
        raise PipelineError("sheet_invalid", f"the sheet's header: {exc}") from exc

    def rows() -> Records:
        try:
            for record in reader:
                yield reader.line_num, record
        except csv.Error as exc:
            raise PipelineError(
                "sheet_invalid", f"line {reader.line_num} of the sheet: {exc}"
            ) from exc

    return header, rows()


# An .xlsx is a zip: its parts are bounded before any is read (declared sizes are what
# Python's zip reader enforces while it inflates).
WORKBOOK_MAX_PARTS = 500
WORKBOOK_MAX_UNPACKED = 100 * 1024 * 1024
WORKBOOK_MAX_RATIO = 200


def _workbook_records(data: bytes) -> tuple[list[str], Records]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise PipelineError(
            "sheet_invalid", f"the workbook is not a valid .xlsx file ({exc})"
        ) from None
    if (
        len(parts) > WORKBOOK_MAX_PARTS
        or sum(part.file_size for part in parts) > WORKBOOK_MAX_UNPACKED
        or any(part.file_size > WORKBOOK_MAX_RATIO * max(part.compress_size, 1) for part in parts)
    ):
        raise PipelineError(
            "sheet_too_large", "the workbook unpacks to more than a sheet of texts can hold"
        )
    try:
        # Read-only mode streams the worksheet; openpyxl parses with defusedxml.
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = book.worksheets[0] if book.worksheets else None
    except Exception as exc:  # openpyxl raises many kinds for a damaged package
        raise PipelineError(
            "sheet_invalid", f"the workbook cannot be read: {type(exc).__name__}"
        ) from None
    if sheet is None:
        raise PipelineError("sheet_empty", "the workbook has no worksheet")
    cells = sheet.iter_rows(values_only=True)
    try:
        header = [_cell_text(value) for value in next(cells)]
    except StopIteration:
        raise PipelineError("sheet_empty", "the sheet has no rows") from None

    def rows() -> Records:
        try:
            for line, values in enumerate(cells, start=2):
                yield line, [_cell_text(value) for value in values]
        except Exception as exc:
            raise PipelineError(
                "sheet_invalid", f"the workbook cannot be read: {type(exc).__name__}"
            ) from None
        finally:
            book.close()

    return header, rows()


def _cell_text(value: object) -> str:
    """A cell as the text a teacher typed: whole numbers without `.0`, dates as ISO."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _column(header: list[str], names: tuple[str, ...], what: str) -> int:
    for name in names:
        if name in header:
            return header.index(name)
    raise PipelineError(
        "sheet_columns", f"the sheet lacks a {what} column (one of {', '.join(names)})"
    )


def _walk(data: bytes, max_bytes: int, with_text: bool) -> Sheet:
    header, records = _records(data, max_bytes)
    learner_at = _column(header, _LEARNER_ALIASES, "learner")
    if with_text:
        text_at = _column(header, ("text", "answer", "essay"), "text")
        name_at = header.index("name") if "name" in header else None
    else:
        file_at = _column(header, _FILE_ALIASES, "filename")
    sheet = Sheet()
    seen: set[str] = set()
    for count, (line, record) in enumerate(records, start=1):
        if count > MAX_ROWS:
            raise PipelineError("sheet_too_large", f"the sheet has over {MAX_ROWS} rows")
        if not any(cell.strip() for cell in record):
            continue

        def cell(index: int | None, record: list[str] = record) -> str:
            return record[index].strip() if index is not None and index < len(record) else ""

        learner = cell(learner_at)
        if with_text:
            name = cell(name_at) or f"line {line}"
            text = cell(text_at)
            if not learner or not text:
                sheet.issues.append(
                    SheetIssue(line, name, "missing_value", "the row needs a learner and a text")
                )
                continue
            sheet.rows.append(SheetRow(line, learner, filename=name, text=text))
            continue
        raw = cell(file_at)
        filename = safe_entry_name(raw.replace("\\", "/")) if raw else None
        if not raw or not learner:
            sheet.issues.append(
                SheetIssue(
                    line,
                    raw or f"line {line}",
                    "missing_value",
                    "the row needs a filename and a learner",
                )
            )
        elif filename is None:
            sheet.issues.append(
                SheetIssue(line, raw, "unsafe_path", "the file name leaves its folder")
            )
        elif filename in seen:
            sheet.issues.append(
                SheetIssue(line, filename, "duplicate_filename", "an earlier row names this file")
            )
        else:
            seen.add(filename)
            sheet.rows.append(SheetRow(line, learner, filename=filename))
    if not sheet.rows and not sheet.issues:
        raise PipelineError("sheet_empty", "the sheet has a header but no rows")
    return sheet


def parse_batch_manifest(data: bytes, *, max_bytes: int = 5 * 1024 * 1024) -> Sheet:
    """Which learner each file is from."""
    return _walk(data, max_bytes, with_text=False)


def parse_text_sheet(data: bytes, *, max_bytes: int = 20 * 1024 * 1024) -> Sheet:
    """Learners' texts, one per row."""
    return _walk(data, max_bytes, with_text=True)


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """A file-name pattern such as `{learner}_*.wav`: `{learner}` is the learner's email or
    external id, `*` any run of characters, anything else literal; matched against the base
    name. Raises ValueError for a pattern without exactly one `{learner}`."""
    if len(pattern) > MAX_PATTERN or pattern.count("{learner}") != 1:
        raise ValueError(
            f"the pattern needs exactly one {{learner}} (and at most {MAX_PATTERN} characters)"
        )
    regex = ""
    for index, part in enumerate(pattern.split("{learner}")):
        if index:
            regex += r"(?P<learner>[^/]+?)"
        regex += ".*?".join(re.escape(piece) for piece in part.split("*"))
    return re.compile(f"^{regex}$")


def learner_from_name(pattern: re.Pattern[str], name: str) -> str | None:
    match = pattern.match(name.rsplit("/", 1)[-1])
    return match.group("learner") if match else None

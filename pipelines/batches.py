"""The sheets of a batch assessment, as plain values: the manifest that maps each file to a
learner, the sheet of learners' texts, and file-name patterns.

Manifest columns: filename (or file, path), learner (or email, external_id, learner_email,
student). Text sheet columns: learner (same aliases), text, and optionally name. UTF-8 with or
without a byte-order mark; comma, semicolon or tab separated. A sheet that cannot be used at
all raises PipelineError; a bad row becomes a SheetIssue and the other rows stand.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from pipelines.archive import safe_entry_name
from pipelines.errors import PipelineError

_LEARNER_ALIASES = ("learner", "email", "learner_email", "external_id", "learner_id",
                    "student", "user")
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


def _records(data: bytes, max_bytes: int) -> tuple[list[str], csv.reader]:
    if len(data) > max_bytes:
        raise PipelineError("sheet_too_large", f"the sheet is over {max_bytes} bytes")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise PipelineError("sheet_encoding", "the sheet is UTF-16; save it as CSV UTF-8")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PipelineError("sheet_encoding", f"the sheet is not UTF-8 (byte offset "
                                              f"{exc.start}); save it as CSV UTF-8") from None
    if "\x00" in text:
        raise PipelineError("sheet_invalid", "the sheet holds NUL characters")
    if not text.strip():
        raise PipelineError("sheet_empty", "the sheet has no rows")
    first = text.lstrip().splitlines()[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = [re.sub(r"\s+", "_", h.strip().lower()) for h in next(reader)]
    except csv.Error as exc:
        raise PipelineError("sheet_invalid", f"the sheet's header: {exc}") from exc
    return header, reader


def _column(header: list[str], names: tuple[str, ...], what: str) -> int:
    for name in names:
        if name in header:
            return header.index(name)
    raise PipelineError("sheet_columns", f"the sheet lacks a {what} column "
                                         f"(one of {', '.join(names)})")


def _walk(data: bytes, max_bytes: int, with_text: bool) -> Sheet:
    header, reader = _records(data, max_bytes)
    learner_at = _column(header, _LEARNER_ALIASES, "learner")
    if with_text:
        text_at = _column(header, ("text", "answer", "essay"), "text")
        name_at = header.index("name") if "name" in header else None
    else:
        file_at = _column(header, _FILE_ALIASES, "filename")
    sheet = Sheet()
    seen: set[str] = set()
    try:
        for count, record in enumerate(reader, start=1):
            if count > MAX_ROWS:
                raise PipelineError("sheet_too_large", f"the sheet has over {MAX_ROWS} rows")
            if not any(cell.strip() for cell in record):
                continue
            line = reader.line_num

            def cell(index: int | None, record: list[str] = record) -> str:
                return record[index].strip() if index is not None and index < len(record) else ""

            learner = cell(learner_at)
            if with_text:
                name = cell(name_at) or f"line {line}"
                text = cell(text_at)
                if not learner or not text:
                    sheet.issues.append(SheetIssue(line, name, "missing_value",
                                                   "the row needs a learner and a text"))
                    continue
                sheet.rows.append(SheetRow(line, learner, filename=name, text=text))
                continue
            raw = cell(file_at)
            filename = safe_entry_name(raw.replace("\\", "/")) if raw else None
            if not raw or not learner:
                sheet.issues.append(SheetIssue(line, raw or f"line {line}", "missing_value",
                                               "the row needs a filename and a learner"))
            elif filename is None:
                sheet.issues.append(SheetIssue(line, raw, "unsafe_path",
                                               "the file name leaves its folder"))
            elif filename in seen:
                sheet.issues.append(SheetIssue(line, filename, "duplicate_filename",
                                               "an earlier row names this file"))
            else:
                seen.add(filename)
                sheet.rows.append(SheetRow(line, learner, filename=filename))
    except csv.Error as exc:
        raise PipelineError("sheet_invalid", f"line {reader.line_num} of the sheet: {exc}"
                            ) from exc
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
        raise ValueError("the pattern needs exactly one {learner} (and at most "
                         f"{MAX_PATTERN} characters)")
    regex = ""
    for index, part in enumerate(pattern.split("{learner}")):
        if index:
            regex += r"(?P<learner>[^/]+?)"
        regex += ".*?".join(re.escape(piece) for piece in part.split("*"))
    return re.compile(f"^{regex}$")


def learner_from_name(pattern: re.Pattern[str], name: str) -> str | None:
    match = pattern.match(name.rsplit("/", 1)[-1])
    return match.group("learner") if match else None

"""The CSV manifest of a bulk import: one row per file, naming the word it illustrates.

Columns: filename, word (required), reading, translation, language, group, kind. UTF-8 with
or without a byte-order mark; comma, semicolon or tab separated (spreadsheets differ by
locale). A manifest that cannot be used at all raises PipelineError; a bad row becomes a
RowIssue and the other rows stand.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from pipelines.archive import safe_entry_name
from pipelines.errors import PipelineError

MANIFEST_COLUMNS = ("filename", "word", "reading", "translation", "language", "group", "kind")
REQUIRED_COLUMNS = ("filename", "word")
MANIFEST_KINDS = ("audio", "image", "video")
_ALIASES = {"file": "filename", "file_name": "filename", "path": "filename"}
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$")
_MAX_VALUE = {"word": 200, "reading": 200, "group": 200}


@dataclass(frozen=True)
class ManifestRow:
    line: int
    filename: str
    word: str
    reading: str | None = None
    translation: str | None = None
    language: str | None = None
    group: str | None = None
    kind: str | None = None


@dataclass(frozen=True)
class RowIssue:
    line: int
    filename: str | None
    code: str
    message: str


@dataclass
class Manifest:
    rows: list[ManifestRow] = field(default_factory=list)
    issues: list[RowIssue] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    def find(self, name: str) -> ManifestRow | None:
        """The row for a file: by its full relative path, else by a base name no other row
        shares (teachers often list `hello.mp3` for `audio/hello.mp3`)."""
        for row in self.rows:
            if row.filename == name:
                return row
        base = name.rsplit("/", 1)[-1]
        matches = [row for row in self.rows if row.filename.rsplit("/", 1)[-1] == base]
        return matches[0] if len(matches) == 1 else None


def parse_manifest(
    data: bytes, *, max_bytes: int = 5 * 1024 * 1024, max_rows: int = 10_000
) -> Manifest:
    """Read a UTF-8 CSV manifest (BOM or not; comma, semicolon or tab separated).

    Raises PipelineError for a manifest that cannot be used at all (manifest_encoding,
    manifest_empty, manifest_columns, manifest_invalid, manifest_too_large); a bad row
    becomes a RowIssue (missing_value, unsafe_path, duplicate_filename, invalid_kind,
    invalid_language, value_too_long, extra_columns) and the other rows stand.
    """
    if len(data) > max_bytes:
        raise PipelineError("manifest_too_large", f"the manifest is over {max_bytes} bytes")
    text = _decode_manifest(data)
    if not text.strip():
        raise PipelineError("manifest_empty", "the manifest has no rows")
    first_line = text.lstrip().splitlines()[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    manifest = Manifest()
    try:
        header = next(reader)
        columns = _columns(header, manifest)
        seen: set[str] = set()
        for count, record in enumerate(reader, start=1):
            if count > max_rows:
                raise PipelineError("manifest_too_large", f"the manifest has over {max_rows} rows")
            if not any(cell.strip() for cell in record):
                continue
            row_or_issue = _row(record, columns, len(header), reader.line_num, seen)
            if isinstance(row_or_issue, RowIssue):
                manifest.issues.append(row_or_issue)
            else:
                seen.add(row_or_issue.filename)
                manifest.rows.append(row_or_issue)
    except csv.Error as exc:
        raise PipelineError(
            "manifest_invalid", f"line {reader.line_num} of the manifest: {exc}"
        ) from exc
    if not manifest.rows and not manifest.issues:
        raise PipelineError("manifest_empty", "the manifest has a header but no rows")
    return manifest


def _decode_manifest(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise PipelineError(
            "manifest_encoding", "the manifest is UTF-16; save it as CSV UTF-8 and upload again"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PipelineError(
            "manifest_encoding",
            f"the manifest is not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "save it as CSV UTF-8 and upload again",
        ) from None
    if "\x00" in text:
        raise PipelineError("manifest_invalid", "the manifest holds NUL characters")
    return text


def _columns(header: list[str], manifest: Manifest) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, raw in enumerate(header):
        name = re.sub(r"\s+", "_", raw.strip().lower())
        name = _ALIASES.get(name, name)
        if name in columns:
            raise PipelineError("manifest_columns", f"the column {name!r} appears twice")
        if name in MANIFEST_COLUMNS:
            columns[name] = index
        elif name:
            manifest.ignored_columns.append(raw.strip())
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise PipelineError(
            "manifest_columns",
            f"the manifest lacks the column(s) {', '.join(missing)}; "
            f"expected {', '.join(MANIFEST_COLUMNS)}",
        )
    return columns


def _row(
    record: list[str], columns: dict[str, int], width: int, line: int, seen: set[str]
) -> ManifestRow | RowIssue:
    values = {
        name: (record[index].strip() if index < len(record) else "")
        for name, index in columns.items()
    }
    raw_name = values.get("filename") or None
    if any(cell.strip() for cell in record[width:]):
        return RowIssue(line, raw_name, "extra_columns", "the row has more cells than the header")
    for name in REQUIRED_COLUMNS:
        if not values.get(name):
            return RowIssue(line, raw_name, "missing_value", f"the row has no {name}")
    filename = safe_entry_name(values["filename"].replace("\\", "/"))
    if filename is None:
        return RowIssue(line, raw_name, "unsafe_path", "the file name leaves its folder")
    if filename in seen:
        return RowIssue(line, filename, "duplicate_filename", "an earlier row names this file")
    for name, value in values.items():
        if len(value) > _MAX_VALUE.get(name, 500):
            return RowIssue(line, filename, "value_too_long", f"the {name} is too long")
    kind = values.get("kind", "").lower() or None
    if kind is not None and kind not in MANIFEST_KINDS:
        return RowIssue(
            line, filename, "invalid_kind", f"kind must be one of {', '.join(MANIFEST_KINDS)}"
        )
    language = values.get("language") or None
    if language is not None:
        if not _LANGUAGE.match(language):
            return RowIssue(line, filename, "invalid_language", f"{language!r} is not a language")
        language = language.replace("_", "-").lower()
    return ManifestRow(
        line=line,
        filename=filename,
        word=values["word"],
        reading=values.get("reading") or None,
        translation=values.get("translation") or None,
        language=language,
        group=values.get("group") or None,
        kind=kind,
    )

"""The sheets of a batch (manifest, texts) and file-name patterns, as plain values."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest

from pipelines.batches import (
    compile_pattern,
    learner_from_name,
    parse_batch_manifest,
    parse_text_sheet,
)
from pipelines.errors import PipelineError
from storage.sniff import XLSX, sniff


def test_a_manifest_maps_files_and_reports_bad_rows():
    sheet = parse_batch_manifest(
        "\ufeffFile;Email\nclass/a.wav;a@x.test\n..\\b.wav;b@x.test\nc.wav;\nclass/a.wav;c@x\n".encode()
    )
    assert [(r.filename, r.learner) for r in sheet.rows] == [("class/a.wav", "a@x.test")]
    assert [(i.code, i.line) for i in sheet.issues] == [
        ("unsafe_path", 3),
        ("missing_value", 4),
        ("duplicate_filename", 5),
    ]
    assert sheet.find("a.wav").learner == "a@x.test"  # a base name no other row shares


def test_a_text_sheet_keeps_texts_with_commas_and_lines():
    sheet = parse_text_sheet(b'learner,text\ns1,"One, two.\nThree."\ns2,\n')
    assert [(r.learner, r.text) for r in sheet.rows] == [("s1", "One, two.\nThree.")]
    assert [i.code for i in sheet.issues] == ["missing_value"]


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"\xff\xfefilename", "sheet_encoding"),
        (b"filename,learner\nd\xe9j\xe0,x\n", "sheet_encoding"),
        (b"", "sheet_empty"),
        (b"filename,learner\n", "sheet_empty"),
        (b"name,who\na,b\n", "sheet_columns"),
        (b'filename,learner\n"a,b\n', "sheet_invalid"),
    ],
)
def test_unusable_sheets_raise_a_code(data, code):
    with pytest.raises(PipelineError) as caught:
        parse_batch_manifest(data)
    assert caught.value.code == code


def test_file_name_patterns():
    pattern = compile_pattern("{learner}_*.wav")
    assert learner_from_name(pattern, "class/ana@x.test_take2.wav") == "ana@x.test"
    assert learner_from_name(pattern, "ana.mp3") is None
    assert learner_from_name(compile_pattern("week1-{learner}.*"), "week1-S042.m4a") == "S042"
    assert learner_from_name(compile_pattern("(x){learner}"), "(x)7") == "7"  # literal
    for bad in ("*.wav", "{learner}{learner}", "{learner}" + "x" * 300):
        with pytest.raises(ValueError):
            compile_pattern(bad)


def _workbook(rows: list[tuple]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_an_xlsx_sheet_of_texts_is_read_like_a_csv():
    # Given a workbook as a teacher saves it: a header in other case, a number, an empty row,
    # a row without text
    data = _workbook(
        [
            ("Learner", "Text", "Name"),
            ("s1@x.test", "One, two.\nThree.", None),
            (None, None, None),
            ("s2@x.test", None, "Essay 2"),
            (12345, "A text for an external id.", "Essay 3"),
        ]
    )
    # When it is read as a sheet of texts
    sheet = parse_text_sheet(data)
    # Then the rows keep their texts and the workbook's row numbers, and bad rows are reported
    assert [(r.line, r.learner, r.text) for r in sheet.rows] == [
        (2, "s1@x.test", "One, two.\nThree."),
        (5, "12345", "A text for an external id."),
    ]
    assert [(i.line, i.name, i.code) for i in sheet.issues] == [(4, "Essay 2", "missing_value")]
    # And it is recognised on upload as a document, not as a zip of recordings
    assert sniff(data[:4096], "texts.xlsx") == XLSX
    assert sniff(data[:4096], "texts.zip").kind == "archive"


def test_a_workbook_that_is_a_bomb_or_damaged_is_refused():
    # A part that unpacks 1,000 times its packed size (a zip bomb)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        archive.writestr("xl/sharedStrings.xml", b" " * 5_000_000)
    with pytest.raises(PipelineError) as caught:
        parse_text_sheet(buffer.getvalue())
    assert caught.value.code == "sheet_too_large"
    # A workbook cut short, and a zip that is no workbook
    with pytest.raises(PipelineError) as caught:
        parse_text_sheet(_workbook([("learner", "text")])[:300])
    assert caught.value.code == "sheet_invalid"
    other = io.BytesIO()
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("a.wav", b"RIFF")
    with pytest.raises(PipelineError) as caught:
        parse_text_sheet(other.getvalue())
    assert caught.value.code == "sheet_invalid"

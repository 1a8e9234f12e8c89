"""The sheets of a batch (manifest, texts) and file-name patterns, as plain values."""

from __future__ import annotations

import pytest

from pipelines.batches import (
    compile_pattern,
    learner_from_name,
    parse_batch_manifest,
    parse_text_sheet,
)
from pipelines.errors import PipelineError


def test_a_manifest_maps_files_and_reports_bad_rows():
    sheet = parse_batch_manifest(
        "\ufeffFile;Email\nclass/a.wav;a@x.test\n..\\b.wav;b@x.test\nc.wav;\nclass/a.wav;c@x\n"
        .encode())
    assert [(r.filename, r.learner) for r in sheet.rows] == [("class/a.wav", "a@x.test")]
    assert [(i.code, i.line) for i in sheet.issues] == [
        ("unsafe_path", 3), ("missing_value", 4), ("duplicate_filename", 5)]
    assert sheet.find("a.wav").learner == "a@x.test"  # a base name no other row shares


def test_a_text_sheet_keeps_texts_with_commas_and_lines():
    sheet = parse_text_sheet(b'learner,text\ns1,"One, two.\nThree."\ns2,\n')
    assert [(r.learner, r.text) for r in sheet.rows] == [("s1", "One, two.\nThree.")]
    assert [i.code for i in sheet.issues] == ["missing_value"]


@pytest.mark.parametrize(("data", "code"), [
    (b"\xff\xfefilename", "sheet_encoding"),
    (b"filename,learner\nd\xe9j\xe0,x\n", "sheet_encoding"),
    (b"", "sheet_empty"), (b"filename,learner\n", "sheet_empty"),
    (b"name,who\na,b\n", "sheet_columns"), (b"filename,learner\n\"a,b\n", "sheet_invalid"),
])
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

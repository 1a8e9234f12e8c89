"""The CSV manifest of a bulk import: encodings, columns, and per-row errors."""

from __future__ import annotations

import pytest

from pipelines.errors import PipelineError
from pipelines.manifest import ManifestRow, parse_manifest

GOOD = (
    "filename,word,reading,translation,language,group,kind\n"
    "audio/konnichiwa.mp3,こんにちは,konnichiwa,hello,ja,greetings,audio\n"
    'images/cat.png,猫,neko,"cat, the animal",ja,animals,image\n'
)


@pytest.mark.parametrize("prefix", [b"", b"\xef\xbb\xbf"], ids=["plain", "bom"])
def test_utf8_with_or_without_bom(prefix):
    # Given the same manifest saved with and without a byte-order mark
    # When parsed
    manifest = parse_manifest(prefix + GOOD.encode())

    # Then the rows are read whole, quoted commas included
    assert manifest.rows == [
        ManifestRow(
            2,
            "audio/konnichiwa.mp3",
            "こんにちは",
            "konnichiwa",
            "hello",
            "ja",
            "greetings",
            "audio",
        ),
        ManifestRow(3, "images/cat.png", "猫", "neko", "cat, the animal", "ja", "animals", "image"),
    ]
    assert manifest.issues == []


def test_semicolons_aliases_and_extra_columns():
    # Given a spreadsheet export with semicolons, a "File" column and a column we do not use
    data = b"File;Word;Notes\nhello.mp3;hello;ignore me\n"

    # When parsed, Then the row is read and the unknown column is listed as ignored
    manifest = parse_manifest(data)
    assert [(row.filename, row.word) for row in manifest.rows] == [("hello.mp3", "hello")]
    assert manifest.ignored_columns == ["Notes"]


@pytest.mark.parametrize("encoding", ["cp1252", "latin-1", "utf-16", "shift_jis"])
def test_a_wrong_encoding_is_a_clear_error(encoding):
    # Given a manifest saved in a legacy encoding
    text = (
        "filename,word\ncafé.mp3,café\n"
        if encoding != "shift_jis"
        else ("filename,word\nneko.mp3,猫\n")
    )

    # When parsed, Then it fails with manifest_encoding and says how to fix it
    with pytest.raises(PipelineError) as error:
        parse_manifest(text.encode(encoding))
    assert error.value.code == "manifest_encoding"
    assert "UTF-8" in error.value.message


def test_a_missing_required_column_fails_the_manifest():
    # Given a manifest without the word column
    with pytest.raises(PipelineError) as error:
        parse_manifest(b"filename,translation\na.mp3,hello\n")

    # Then it fails naming the column
    assert error.value.code == "manifest_columns"
    assert "word" in error.value.message


def test_bad_rows_are_reported_and_good_rows_kept():
    # Given rows with every kind of problem around good ones
    data = (
        "filename,word,language,kind\n"
        "good1.mp3,one,en,audio\n"
        "nomatter.mp3,,en,audio\n"
        ",two,en,audio\n"
        "../../etc/passwd,three,en,audio\n"
        "good1.mp3,again,en,audio\n"
        "doc.pdf,four,en,document\n"
        "five.mp3,five,not a language,audio\n"
        "six.mp3,six,en,audio,surplus\n"
        f"seven.mp3,{'x' * 300},en,audio\n"
        "\n"
        "good2.png,eight,EN_gb,IMAGE\n"
    ).encode()

    # When parsed
    manifest = parse_manifest(data)

    # Then each bad row has its code and line, and the good rows stand
    assert [(issue.line, issue.code) for issue in manifest.issues] == [
        (3, "missing_value"),
        (4, "missing_value"),
        (5, "unsafe_path"),
        (6, "duplicate_filename"),
        (7, "invalid_kind"),
        (8, "invalid_language"),
        (9, "extra_columns"),
        (10, "value_too_long"),
    ]
    assert [(row.filename, row.language, row.kind) for row in manifest.rows] == [
        ("good1.mp3", "en", "audio"),
        ("good2.png", "en-gb", "image"),
    ]


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "manifest_empty"),
        (b"   \n\n", "manifest_empty"),
        (b"filename,word\n", "manifest_empty"),
        (b'filename,word\n"a.mp3,hello\n', "manifest_invalid"),
        (b"filename,word,word\na,b,c\n", "manifest_columns"),
    ],
)
def test_unusable_manifests(data, code):
    # Given a manifest that cannot be used at all, When parsed, Then it fails with a code
    with pytest.raises(PipelineError) as error:
        parse_manifest(data)
    assert error.value.code == code


def test_size_and_row_limits():
    # Given a manifest over the byte limit and one over the row limit
    rows = "filename,word\n" + "".join(f"{i}.mp3,w{i}\n" for i in range(20))

    # When parsed with small limits, Then both fail as too large
    with pytest.raises(PipelineError) as too_big:
        parse_manifest(rows.encode(), max_bytes=50)
    with pytest.raises(PipelineError) as too_many:
        parse_manifest(rows.encode(), max_rows=10)
    assert too_big.value.code == too_many.value.code == "manifest_too_large"


def test_find_matches_a_path_or_an_unambiguous_base_name():
    # Given rows naming files with and without folders
    manifest = parse_manifest(b"filename,word\naudio/a.mp3,a\nb.mp3,b\nx/c.mp3,c1\ny/c.mp3,c2\n")

    # When archive entries are looked up
    # Then a full path matches, a base name matches when only one row has it
    assert manifest.find("audio/a.mp3").word == "a"
    assert manifest.find("sounds/b.mp3").word == "b"
    assert manifest.find("x/c.mp3").word == "c1"
    assert manifest.find("z/c.mp3") is None
    assert manifest.find("missing.mp3") is None

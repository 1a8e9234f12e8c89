"""Content types decided from the bytes, checked on real files encoded by FFmpeg."""

from __future__ import annotations

import io
import random
import zipfile

import pytest

from storage.sniff import SNIFF_BYTES, Sniffed, accepts, sniff


@pytest.mark.parametrize(
    ("sample", "content_type", "kind"),
    [
        ("wav", "audio/wav", "audio"),
        ("mp3", "audio/mpeg", "audio"),
        ("mp3_bare", "audio/mpeg", "audio"),
        ("opus", "audio/ogg", "audio"),
        ("flac", "audio/flac", "audio"),
        ("m4a", "audio/mp4", "audio"),
        ("mp4_audio", "audio/mp4", "audio"),
        ("aac", "audio/aac", "audio"),
        ("webm_audio", "audio/webm", "audio"),
        ("webm", "video/webm", "video"),
        ("mkv", "video/x-matroska", "video"),
        ("mp4", "video/mp4", "video"),
        ("png", "image/png", "image"),
        ("jpeg", "image/jpeg", "image"),
        ("gif", "image/gif", "image"),
        ("webp", "image/webp", "image"),
        ("pdf", "application/pdf", "document"),
    ],
)
def test_real_files_are_recognised(media_samples, sample, content_type, kind):
    # Given the first bytes of a real file, When sniffed, Then its type and kind are right
    found = sniff(media_samples[sample][:SNIFF_BYTES])
    assert found is not None
    assert (found.content_type, found.kind) == (content_type, kind)


def test_the_file_name_does_not_decide(media_samples):
    # Given a PNG named like a recording, When sniffed, Then it is still an image
    found = sniff(media_samples["png"], filename="speech.wav")
    assert found == Sniffed("image/png", "image", "png")


def test_zip_is_an_archive():
    # Given a zip made by zipfile
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.txt", "hello")

    # When sniffed, Then it is an archive
    assert sniff(buffer.getvalue()) == Sniffed("application/zip", "archive", "zip")


@pytest.mark.parametrize(
    ("data", "filename", "content_type"),
    [
        (
            b"filename,word,translation\nhello.mp3,hello,bonjour\nbye.mp3,bye,au revoir\n",
            None,
            "text/csv",
        ),
        ("\ufefffilename;word\nねこ.mp3;ねこ\nいぬ.mp3;いぬ\n".encode(), None, "text/csv"),
        (b"filename,word\n", "manifest.csv", "text/csv"),
        (b"Just a note, with a comma.\nAnd another line.\n", None, "text/plain"),
        ("filename,word\ncaf\xe9.mp3,caf\xe9\nthé.mp3,thé\n".encode("cp1252"), None, "text/csv"),
        ("filename,word\nhi.mp3,hi\n".encode("utf-16"), "m.csv", "text/csv"),
    ],
)
def test_text_is_a_document(data, filename, content_type):
    # Given text (UTF-8 with or without BOM, a single-byte encoding, UTF-16)
    # When sniffed, Then it is a document; CSV by its shape or its name
    found = sniff(data, filename=filename)
    assert found is not None
    assert (found.content_type, found.kind) == (content_type, "document")


def test_utf8_cut_in_the_middle_of_a_character_is_still_text():
    # Given a sample that ends inside a multi-byte character
    data = ("単語," * 3000).encode()[: SNIFF_BYTES - 1]

    # When sniffed, Then it is text
    assert sniff(data) is not None


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x00\x01\x02\x03binary",
        b"\xff\xfb\x00\x00",  # an MPEG header with a "free" bitrate index is not accepted
        b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff",  # a Windows executable
        b"\x7fELF\x02\x01\x01\x00",
    ],
)
def test_unknown_bytes_are_not_accepted(data):
    # Given bytes of no accepted format, When sniffed, Then None
    assert sniff(data) is None


def test_random_bytes_are_never_taken_for_media():
    # Given a thousand blocks of random bytes (seeded, so the run is repeatable)
    generator = random.Random(4)
    blocks = [generator.randbytes(SNIFF_BYTES) for _ in range(1000)]

    # When sniffed, Then none is mistaken for a known format
    assert [sniff(block) for block in blocks] == [None] * 1000


def test_recordings_in_video_containers_are_accepted_as_audio():
    # Given a webm with a picture track and a PNG
    video = Sniffed("video/webm", "video", "webm")
    image = Sniffed("image/png", "image", "png")

    # When checked against the audio kind, Then the container passes and the image does not
    assert accepts(video, "audio")
    assert not accepts(image, "audio")
    assert accepts(image, "image")

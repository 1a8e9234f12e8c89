"""Content type from the bytes themselves (magic numbers), never from the client's header.

`sniff(head)` looks at the first bytes of a file (`SNIFF_BYTES` is enough) and answers a
`Sniffed(content_type, kind)` or None when the format is not one the platform accepts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SNIFF_BYTES = 8192
KINDS = ("audio", "image", "video", "archive", "document")


@dataclass(frozen=True)
class Sniffed:
    content_type: str
    kind: str
    extension: str


# Containers that carry sound or pictures alike: a recording made by a browser or a phone
# often arrives as webm or mp4, so such a file is acceptable where audio is asked for.
AUDIO_CAPABLE = {"video/webm", "video/mp4", "video/x-matroska", "video/ogg", "video/quicktime"}


def accepts(sniffed: Sniffed, kind: str) -> bool:
    """True when a file of this sniffed type may be stored as `kind`."""
    if sniffed.kind == kind:
        return True
    return kind == "audio" and sniffed.content_type in AUDIO_CAPABLE


def sniff(head: bytes, filename: str | None = None) -> Sniffed | None:
    """Identify a file from its first bytes; `filename` only separates CSV from plain text
    and an .xlsx workbook from other zips."""
    # A UTF-16 byte-order mark (FF FE) is also a valid MPEG audio frame header: text first.
    found = _utf16(head, filename)
    if found is not None:
        return found
    found = _spreadsheet(head, filename)
    if found is not None:
        return found
    for probe in (_riff, _simple, _mpeg_audio, _ogg, _iso_media, _ebml):
        found = probe(head)
        if found is not None:
            return found
    return _text(head, filename)


XLSX = Sniffed(
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "document", "xlsx"
)
# The parts an Office Open XML package starts with (Excel and LibreOffice write the content
# types first, openpyxl the document properties).
_OOXML_FIRST_PARTS = (b"[Content_Types].xml", b"_rels/", b"docProps/", b"xl/")


def _spreadsheet(head: bytes, filename: str | None) -> Sniffed | None:
    """An .xlsx workbook: a zip named .xlsx whose first entry is a part of an OOXML package
    (what it holds is checked when the sheet is read)."""
    if not head.startswith(b"PK\x03\x04") or len(head) < 30:
        return None
    if not (filename or "").lower().endswith(".xlsx"):
        return None
    name_length = int.from_bytes(head[26:28], "little")
    first = head[30 : 30 + name_length]
    return XLSX if first.startswith(_OOXML_FIRST_PARTS) else None


_SIMPLE: tuple[tuple[bytes, Sniffed], ...] = (
    (b"\x89PNG\r\n\x1a\n", Sniffed("image/png", "image", "png")),
    (b"\xff\xd8\xff", Sniffed("image/jpeg", "image", "jpg")),
    (b"GIF87a", Sniffed("image/gif", "image", "gif")),
    (b"GIF89a", Sniffed("image/gif", "image", "gif")),
    (b"%PDF-", Sniffed("application/pdf", "document", "pdf")),
    (b"fLaC", Sniffed("audio/flac", "audio", "flac")),
    (b"PK\x03\x04", Sniffed("application/zip", "archive", "zip")),
    (b"PK\x05\x06", Sniffed("application/zip", "archive", "zip")),  # an empty zip
)


def _simple(head: bytes) -> Sniffed | None:
    for magic, found in _SIMPLE:
        if head.startswith(magic):
            return found
    return None


def _riff(head: bytes) -> Sniffed | None:
    if len(head) < 12 or head[:4] != b"RIFF":
        return None
    form = head[8:12]
    if form == b"WAVE":
        return Sniffed("audio/wav", "audio", "wav")
    if form == b"WEBP":
        return Sniffed("image/webp", "image", "webp")
    return None


# MPEG audio frame header tables (ISO 11172-3 / 13818-3), indexed by version and layer.
_BITRATES = {
    (1, 1): (0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (1, 2): (0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (1, 3): (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (2, 1): (0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (2, 2): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    (2, 3): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_SAMPLE_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


def _mpeg_frame_length(header: bytes) -> int | None:
    """Length in bytes of the MPEG audio frame starting here, None if it is not a frame."""
    if len(header) < 4 or header[0] != 0xFF or header[1] & 0xE0 != 0xE0:
        return None
    version_bits = (header[1] >> 3) & 3
    layer_bits = (header[1] >> 1) & 3
    bitrate_index = header[2] >> 4
    rate_index = (header[2] >> 2) & 3
    if version_bits == 1 or layer_bits == 0 or bitrate_index in (0, 15) or rate_index == 3:
        return None
    layer = 4 - layer_bits
    table = _BITRATES[(1 if version_bits == 3 else 2, layer)]
    bitrate = table[bitrate_index] * 1000
    sample_rate = _SAMPLE_RATES[version_bits][rate_index]
    padding = (header[2] >> 1) & 1
    if layer == 1:
        return (12 * bitrate // sample_rate + padding) * 4
    samples = 1152 if layer == 2 or version_bits == 3 else 576
    return samples // 8 * bitrate // sample_rate + padding


def _mpeg_audio(head: bytes) -> Sniffed | None:
    if head.startswith(b"ID3") and len(head) >= 10 and head[3] in (2, 3, 4):
        # An ID3 tag also precedes AAC in some files; look at the first frame after it.
        size = (head[6] << 21) | (head[7] << 14) | (head[8] << 7) | head[9]
        after = head[10 + size :]
        if _is_adts(after):
            return Sniffed("audio/aac", "audio", "aac")
        return Sniffed("audio/mpeg", "audio", "mp3")
    if _is_adts(head):
        return Sniffed("audio/aac", "audio", "aac")
    length = _mpeg_frame_length(head[:4])
    if length is None:
        return None
    # One header-like word is common in random bytes; a second frame where the first one
    # says it ends is not. With too few bytes to see it, the first header must do.
    if len(head) >= length + 4 and _mpeg_frame_length(head[length : length + 4]) is None:
        return None
    return Sniffed("audio/mpeg", "audio", "mp3")


def _is_adts(head: bytes) -> bool:
    # ADTS: 12-bit sync, layer 00, a valid sampling-frequency index.
    return (
        len(head) >= 7
        and head[0] == 0xFF
        and head[1] & 0xF6 == 0xF0
        and ((head[2] >> 2) & 0xF) < 13
    )


def _ogg(head: bytes) -> Sniffed | None:
    if not head.startswith(b"OggS"):
        return None
    first_page = head[:512]
    if b"\x80theora" in first_page:
        return Sniffed("video/ogg", "video", "ogv")
    if b"OpusHead" in first_page:
        return Sniffed("audio/ogg", "audio", "opus")
    return Sniffed("audio/ogg", "audio", "ogg")


_AUDIO_BRANDS = {b"M4A ", b"M4B ", b"M4P ", b"F4A ", b"F4B "}
_IMAGE_BRANDS = {
    b"avif": ("image/avif", "avif"),
    b"avis": ("image/avif", "avif"),
    b"heic": ("image/heic", "heic"),
    b"heix": ("image/heic", "heic"),
    b"mif1": ("image/heif", "heif"),
}


def _iso_media(head: bytes) -> Sniffed | None:
    if len(head) < 12 or head[4:8] != b"ftyp":
        return None
    brand = head[8:12]
    if brand in _AUDIO_BRANDS:
        return Sniffed("audio/mp4", "audio", "m4a")
    if brand in _IMAGE_BRANDS:
        content_type, extension = _IMAGE_BRANDS[brand]
        return Sniffed(content_type, "image", extension)
    if brand == b"qt  ":
        return Sniffed("video/quicktime", "video", "mov")
    if brand.startswith(b"3g"):
        return Sniffed("video/3gpp", "video", "3gp")
    handlers = _handler_types(head)
    if b"soun" in handlers and b"vide" not in handlers:
        return Sniffed("audio/mp4", "audio", "m4a")
    return Sniffed("video/mp4", "video", "mp4")


def _handler_types(head: bytes) -> set[bytes]:
    # A `hdlr` box is size, "hdlr", version+flags, pre_defined, then the handler type. It is
    # inside `moov`, which fast-start files (and most recorders) put at the front.
    found = set()
    for match in re.finditer(b"hdlr", head):
        start = match.start() + 12
        found.add(head[start : start + 4])
    return found


def _ebml(head: bytes) -> Sniffed | None:
    if not head.startswith(b"\x1a\x45\xdf\xa3"):
        return None
    webm = b"webm" in head[:64]
    # CodecID strings ("V_VP9", "A_OPUS") sit in the Tracks element near the start; a file
    # with sound tracks and no picture track is a recording, not a video.
    has_video = re.search(rb"\x86.V_[A-Z0-9]", head, re.DOTALL) is not None
    has_audio = re.search(rb"\x86.A_[A-Z0-9]", head, re.DOTALL) is not None
    if has_audio and not has_video:
        if webm:
            return Sniffed("audio/webm", "audio", "weba")
        return Sniffed("audio/x-matroska", "audio", "mka")
    if webm:
        return Sniffed("video/webm", "video", "webm")
    return Sniffed("video/x-matroska", "video", "mkv")


_CONTROL = set(range(0, 32)) - {9, 10, 12, 13}


def _text(head: bytes, filename: str | None) -> Sniffed | None:
    if not head or b"\x00" in head:
        return None
    if sum(byte in _CONTROL for byte in head) > len(head) // 100:
        return None
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # A cut in the middle of a character at the end of the sample is not an error.
        if exc.start < len(head) - 3:
            # Not UTF-8: a single-byte encoding (Latin-1, cp1252) still reads as text when
            # most bytes are ASCII; random binary data does not.
            high = sum(byte >= 0x80 for byte in head)
            if high > len(head) * 0.3:
                return None
            text = head.decode("latin-1")
        else:
            text = head[: exc.start].decode("utf-8-sig")
    return _text_type(text, filename)


def _utf16(head: bytes, filename: str | None) -> Sniffed | None:
    # UTF-16 text is accepted as a document so that a manifest saved this way gets a clear
    # "wrong encoding" answer from the import instead of an opaque 415.
    if not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None
    codec = "utf-16-le" if head.startswith(b"\xff\xfe") else "utf-16-be"
    body = head[2 : len(head) - len(head) % 2]
    text = body.decode(codec, "replace")
    if not text or sum(ord(ch) in _CONTROL or ch == "\ufffd" for ch in text) > len(text) // 100:
        return None
    return _text_type(text, filename)


def _text_type(text: str, filename: str | None) -> Sniffed:
    if (filename or "").lower().endswith((".csv", ".tsv")) or _looks_like_csv(text):
        return Sniffed("text/csv", "document", "csv")
    return Sniffed("text/plain", "document", "txt")


def _looks_like_csv(text: str) -> bool:
    lines = text.splitlines()
    if not text.endswith(("\n", "\r")) and len(lines) > 2:
        lines = lines[:-1]  # the sample may have cut the last line short
    lines = [line for line in lines if line.strip()][:10]
    if len(lines) < 2:
        return False
    for delimiter in (",", ";", "\t"):
        counts = {line.count(delimiter) for line in lines}
        if len(counts) == 1 and counts.pop() > 0:
            return True
    return False

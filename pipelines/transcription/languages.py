"""The languages Whisper recognises, by ISO 639-1 code and by the names its API answers with.

Kept here rather than read from faster-whisper so the API process can check a language
without importing the speech-recognition stack.
"""

from __future__ import annotations

from pipelines.errors import PipelineError

# Whisper's language names (the API answers "english"), as code name pairs.
_LANGUAGE_TABLE = """
en english|zh chinese|de german|es spanish|ru russian|ko korean|fr french|ja japanese|
pt portuguese|tr turkish|pl polish|ca catalan|nl dutch|ar arabic|sv swedish|it italian|
id indonesian|hi hindi|fi finnish|vi vietnamese|he hebrew|uk ukrainian|el greek|ms malay|
cs czech|ro romanian|da danish|hu hungarian|ta tamil|no norwegian|th thai|ur urdu|hr croatian|
bg bulgarian|lt lithuanian|la latin|mi maori|ml malayalam|cy welsh|sk slovak|te telugu|
fa persian|lv latvian|bn bengali|sr serbian|az azerbaijani|sl slovenian|kn kannada|
et estonian|mk macedonian|br breton|eu basque|is icelandic|hy armenian|ne nepali|mn mongolian|
bs bosnian|kk kazakh|sq albanian|sw swahili|gl galician|mr marathi|pa punjabi|si sinhala|
km khmer|sn shona|yo yoruba|so somali|af afrikaans|oc occitan|ka georgian|be belarusian|
tg tajik|sd sindhi|gu gujarati|am amharic|yi yiddish|lo lao|uz uzbek|fo faroese|
ht haitian creole|ps pashto|tk turkmen|nn nynorsk|mt maltese|sa sanskrit|lb luxembourgish|
my myanmar|bo tibetan|tl tagalog|mg malagasy|as assamese|tt tatar|haw hawaiian|ln lingala|
ha hausa|ba bashkir|jw javanese|su sundanese|yue cantonese
"""
LANGUAGE_CODES: dict[str, str] = {
    name.strip(): code
    for code, name in (
        entry.strip().split(" ", 1) for entry in _LANGUAGE_TABLE.split("|") if entry.strip()
    )
}


WHISPER_LANGUAGES = frozenset(LANGUAGE_CODES.values())


def language_code(value: str | None) -> str:
    """Whisper's name ("english") as its code ("en"); codes and unknown names pass through."""
    lowered = (value or "").strip().lower()
    return LANGUAGE_CODES.get(lowered, lowered)


def whisper_language(value: str | None) -> str | None:
    """A language Whisper knows, from a code ("en", "en-GB", "pt_BR"); None stays None.

    Raises PipelineError("unsupported_language") for codes Whisper does not recognise.
    """
    if value is None or not value.strip():
        return None
    code = value.strip().lower().replace("_", "-").split("-")[0]
    if code not in WHISPER_LANGUAGES:
        raise PipelineError(
            "unsupported_language", f"Speech recognition does not support the language {value!r}."
        )
    return code

"""Pronunciations: CMUdict (shipped with the acoustic model) first, espeak-ng for the rest.

The acoustic model knows the 39 ARPABET phones of CMUdict. A word that is not in the
dictionary (a name, a rare or invented word, a typo in a reference text) gets its
pronunciation from espeak-ng's grapheme-to-phoneme rules (`espeak-ng --ipa`), mapped from IPA
onto ARPABET, rather than being skipped. Digits are spelled out by espeak-ng the same way.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
import unicodedata
from functools import lru_cache

from pipelines.errors import PipelineError

ARPABET = frozenset(
    "AA AE AH AO AW AY B CH D DH EH ER EY F G HH IH IY JH K L M N NG OW OY P R S SH T TH "
    "UH UW V W Y Z ZH".split()
)
VOWELS = frozenset(p for p in ARPABET if p[0] in "AEIOU")

# IPA (as espeak-ng writes American English) -> ARPABET; longest match first.
_IPA = {
    "aɪə": "AY ER",
    "aɪ": "AY",
    "aʊ": "AW",
    "eɪ": "EY",
    "oʊ": "OW",
    "əʊ": "OW",
    "ɔɪ": "OY",
    "oː": "AO",
    "ɔː": "AO",
    "ɑː": "AA",
    "iː": "IY",
    "uː": "UW",
    "ɜː": "ER",
    "ɚ": "ER",
    "ɝ": "ER",
    "ɪɹ": "IH R",
    "ɛɹ": "EH R",
    "ʊɹ": "UH R",
    "tʃ": "CH",
    "dʒ": "JH",
    "ᵻ": "IH",
    "ɐ": "AH",
    "ə": "AH",
    "ʌ": "AH",
    "æ": "AE",
    "ɑ": "AA",
    "ɒ": "AA",
    "ɔ": "AO",
    "ɛ": "EH",
    "e": "EH",
    "ɪ": "IH",
    "i": "IY",
    "ʊ": "UH",
    "u": "UW",
    "o": "OW",
    "a": "AA",
    "b": "B",
    "d": "D",
    "ð": "DH",
    "f": "F",
    "ɡ": "G",
    "g": "G",
    "h": "HH",
    "j": "Y",
    "k": "K",
    "l": "L",
    "m": "M",
    "n": "N",
    "ŋ": "NG",
    "p": "P",
    "ɹ": "R",
    "r": "R",
    "s": "S",
    "ʃ": "SH",
    "t": "T",
    "θ": "TH",
    "v": "V",
    "w": "W",
    "z": "Z",
    "ʒ": "ZH",
    "ɾ": "T",
    "ʔ": "T",
    "x": "K",
    "ç": "HH",
    "ɬ": "L",
    "ɫ": "L",
}
_IPA_KEYS = sorted(_IPA, key=len, reverse=True)
_IGNORED = set("ˈˌːˑ‿.-_ \u0303\u0329\u032f")
_lock = threading.Lock()


def espeak_available() -> bool:
    return shutil.which("espeak-ng") is not None


@lru_cache(maxsize=8192)
def g2p(word: str) -> tuple[str, ...]:
    """ARPABET phones of `word` by espeak-ng's rules (raises when espeak-ng is missing)."""
    ipa = espeak_ipa(word)
    return ipa_to_arpabet(ipa)


def espeak_ipa(text: str, voice: str = "en-us") -> str:
    if not espeak_available():
        raise PipelineError(
            "pronunciation_unavailable",
            "espeak-ng is not installed: words outside the dictionary cannot be pronounced.",
        )
    with _lock:  # espeak-ng is quick; one at a time keeps two cores free for the rest
        done = subprocess.run(
            ["espeak-ng", "-q", "-v", voice, "--ipa", "--", text],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
    if done.returncode != 0:
        raise PipelineError("pronunciation_unavailable", f"espeak-ng failed: {done.stderr[:200]}")
    return done.stdout.strip()


def ipa_to_arpabet(ipa: str) -> tuple[str, ...]:
    phones: list[str] = []
    text = unicodedata.normalize("NFC", ipa)
    i = 0
    while i < len(text):
        if text[i] in _IGNORED or text[i].isspace():
            i += 1
            continue
        for key in _IPA_KEYS:
            if text.startswith(key, i):
                phones.extend(_IPA[key].split())
                i += len(key)
                break
        else:
            i += 1  # a symbol with no English counterpart: dropped rather than guessed
    return tuple(phones)


_STRESS = re.compile(r"\d")


def strip_stress(phone: str) -> str:
    return _STRESS.sub("", phone)

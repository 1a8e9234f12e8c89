"""Temporal fluency measures from word timings.

Definitions (the usual ones in L2 fluency research, e.g. de Jong et al. 2013; Kormos 2006):

| measure            | definition                                                            |
|--------------------|-----------------------------------------------------------------------|
| speech span        | first word start to last word end (the recording's leading and        |
|                    | trailing silence are not the speaker's hesitation)                    |
| pause              | a silent gap between two words of >= 250 ms; "medium" >= 500 ms,      |
|                    | "long" > 1 s (each pause is labelled with its most severe class, and  |
|                    | the medium count includes the long ones)                              |
| speaking time      | speech span minus pause time (phonation time)                         |
| speech rate        | words per minute and syllables per second over the speech span        |
| articulation rate  | syllables per second of speaking time                                 |
| run                | the words between two pauses; mean and longest length in words       |
| fillers            | hesitation words and phrases of the language ("um", "euh", "えーと")    |
| word confidence    | the recogniser's mean word probability                                |

Syllables: vowel groups for Latin, Cyrillic and Greek scripts with small per-language rules
(English and French silent endings, Spanish/Italian/Portuguese hiatus), morae for Japanese
(kana after pykakasi reading, small kana merge with the one before), one per character for
Chinese and per block for Korean. Recognisers that keep fillers ("um") count them as words
but not in runs, and they do count as speech in the rates.
"""

from __future__ import annotations

import re
import statistics
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from pipelines.transcription.types import Word

PAUSE_SECONDS = 0.25
MEDIUM_PAUSE_SECONDS = 0.5
LONG_PAUSE_SECONDS = 1.0

FILLERS: dict[str, tuple[str, ...]] = {
    "en": (
        "um",
        "umm",
        "uh",
        "uhm",
        "er",
        "erm",
        "ah",
        "eh",
        "hmm",
        "mm",
        "mhm",
        "you know",
        "i mean",
        "sort of",
        "kind of",
    ),
    "es": ("eh", "em", "ehm", "este", "pues", "o sea", "bueno", "mmm", "esto"),
    "fr": ("euh", "heu", "bah", "ben", "hein", "bon ben", "tu vois", "genre", "quoi", "hum"),
    "de": ("äh", "ähm", "öh", "öhm", "hm", "hmm", "halt", "sozusagen", "na ja"),
    "it": ("ehm", "eh", "cioè", "tipo", "allora", "insomma", "mmm"),
    "pt": ("é", "hum", "tipo", "né", "então", "assim", "ahn"),
    # Only lengthened hesitation forms: plain "あの" and "その" are also demonstratives.
    "ja": (
        "えー",
        "えーと",
        "えっと",
        "ええと",
        "ええっと",
        "あのー",
        "あのう",
        "そのー",
        "うーん",
        "んー",
        "まあ",
        "なんか",
    ),
}

_LATIN_VOWELS = "aeiouyáàâäãåæéèêëíìîïóòôöõøœúùûüýÿąęėįųūō"
_VOWEL_GROUP = re.compile(f"[{_LATIN_VOWELS}аеёиоуыэюяєіїαεηιουωάέήίόύώϊϋ]+")
_STRONG = set("aeoáéóíúàèòâêô")  # strong vowels, and accented weak ones that break diphthongs
_HIATUS_LANGS = frozenset({"es", "it", "pt"})
_SMALL_KANA = set("ゃゅょぁぃぅぇぉゎャュョァィゥェォヮ")
_TOKEN = re.compile(r"[\w]+(?:['’\-][\w]+)*")


@dataclass(frozen=True)
class Pause:
    after_word: int  # index into the word list of the word before the pause
    start: float
    end: float
    duration: float
    kind: str  # "short", "medium" or "long"


@dataclass(frozen=True)
class FluencyMetrics:
    language: str
    total_duration: float
    speech_span: float
    speaking_time: float
    word_count: int
    syllable_count: int
    speech_rate_wpm: float
    speech_rate_sps: float
    articulation_rate: float
    pause_count: int
    pause_total: float
    medium_pause_count: int
    long_pause_count: int
    mean_pause: float
    pauses_per_minute: float
    pause_ratio: float  # pause time / speech span
    mean_length_of_run: float
    longest_run: int
    filler_count: int
    fillers_per_100_words: float
    mean_word_confidence: float | None
    pauses: list[Pause] = field(default_factory=list)
    runs: list[int] = field(default_factory=list)
    fillers: list[str] = field(default_factory=list)


def measure_fluency(
    words: Sequence[Word], language: str, total_duration: float | None = None
) -> FluencyMetrics:
    """Compute every measure in the module table from timed words."""
    language = (language or "").split("-")[0].lower()
    spoken = [(i, w) for i, w in enumerate(words) if _TOKEN.search(w.text)]
    end_time = max((w.end for _, w in spoken), default=0.0)
    total = float(total_duration) if total_duration else end_time
    if not spoken:
        return _empty(language, total)

    filler_flags = _filler_flags([w.text for _, w in spoken], language)
    pauses: list[Pause] = []
    runs: list[int] = []
    run = 0
    for position, (index, word) in enumerate(spoken):
        run += 0 if filler_flags[position] else 1
        if position + 1 == len(spoken):
            break
        gap = spoken[position + 1][1].start - word.end
        if gap >= PAUSE_SECONDS:
            start, end = round(word.end, 3), round(word.end + gap, 3)
            pauses.append(Pause(index, start, end, round(gap, 3), _kind(gap)))
            runs.append(run)
            run = 0
    runs.append(run)
    runs = [r for r in runs if r > 0] or [0]

    span = max(1e-6, spoken[-1][1].end - spoken[0][1].start)
    pause_total = sum(p.duration for p in pauses)
    speaking_time = max(1e-6, span - pause_total)
    syllables = sum(count_syllables(w.text, language) for _, w in spoken)
    probabilities = [w.probability for _, w in spoken if w.probability is not None]
    fillers = [w.text for (_, w), flag in zip(spoken, filler_flags, strict=True) if flag]
    n_words = len(spoken)
    return FluencyMetrics(
        language=language,
        total_duration=round(total, 3),
        speech_span=round(span, 3),
        speaking_time=round(speaking_time, 3),
        word_count=n_words,
        syllable_count=syllables,
        speech_rate_wpm=round(n_words / span * 60, 1),
        speech_rate_sps=round(syllables / span, 2),
        articulation_rate=round(syllables / speaking_time, 2),
        pause_count=len(pauses),
        pause_total=round(pause_total, 3),
        medium_pause_count=sum(p.duration >= MEDIUM_PAUSE_SECONDS for p in pauses),
        long_pause_count=sum(p.duration > LONG_PAUSE_SECONDS for p in pauses),
        mean_pause=round(pause_total / len(pauses), 3) if pauses else 0.0,
        pauses_per_minute=round(len(pauses) / span * 60, 1),
        pause_ratio=round(pause_total / span, 3),
        mean_length_of_run=round(statistics.fmean(runs), 2),
        longest_run=max(runs),
        filler_count=len(fillers),
        fillers_per_100_words=round(len(fillers) / n_words * 100, 1),
        mean_word_confidence=(round(statistics.fmean(probabilities), 4) if probabilities else None),
        pauses=pauses,
        runs=runs,
        fillers=fillers,
    )


def _empty(language: str, total: float) -> FluencyMetrics:
    return FluencyMetrics(
        language=language,
        total_duration=round(total, 3),
        speech_span=0.0,
        speaking_time=0.0,
        word_count=0,
        syllable_count=0,
        speech_rate_wpm=0.0,
        speech_rate_sps=0.0,
        articulation_rate=0.0,
        pause_count=0,
        pause_total=0.0,
        medium_pause_count=0,
        long_pause_count=0,
        mean_pause=0.0,
        pauses_per_minute=0.0,
        pause_ratio=0.0,
        mean_length_of_run=0.0,
        longest_run=0,
        filler_count=0,
        fillers_per_100_words=0.0,
        mean_word_confidence=None,
    )


def _kind(gap: float) -> str:
    if gap > LONG_PAUSE_SECONDS:
        return "long"
    if gap >= MEDIUM_PAUSE_SECONDS:
        return "medium"
    return "short"


def _norm(text: str) -> str:
    return " ".join(_TOKEN.findall(unicodedata.normalize("NFKC", text).casefold()))


def _filler_flags(texts: list[str], language: str) -> list[bool]:
    """Mark the words that belong to a filler, matching multi-word fillers first."""
    fillers = [f.split() for f in sorted(FILLERS.get(language, ()), key=len, reverse=True)]
    norms = [_norm(t) for t in texts]
    flags = [False] * len(texts)
    if language == "ja":
        # Japanese words from the recogniser are short pieces; match each whole piece, and a
        # lengthened vowel ("えーーと") the same as its plain form.
        plain = {re.sub("ー+", "ー", f[0]) for f in fillers}
        return [re.sub("ー+", "ー", t.strip("、。,. ")) in plain for t in texts]
    i = 0
    while i < len(norms):
        for filler in fillers:
            if norms[i : i + len(filler)] == filler:
                for j in range(i, i + len(filler)):
                    flags[j] = True
                i += len(filler) - 1
                break
        i += 1
    return flags


def count_syllables(text: str, language: str) -> int:
    """Syllables (morae for Japanese) in a word or short phrase; 0 for punctuation."""
    language = (language or "").split("-")[0].lower()
    folded = unicodedata.normalize("NFKC", text).casefold()
    if language == "ja" or _has_kana(folded):
        return _morae(folded)
    total = 0
    for token in _TOKEN.findall(folded):
        total += _token_syllables(token, language)
    return total


def _token_syllables(token: str, language: str) -> int:
    hangul = sum(0xAC00 <= ord(c) <= 0xD7A3 for c in token)
    han = sum(0x4E00 <= ord(c) <= 0x9FFF or 0x3400 <= ord(c) <= 0x4DBF for c in token)
    if hangul or han:
        return hangul + han
    if token.isdigit():
        return len(token)  # a rough count: recognisers write most numbers as digits
    groups = _VOWEL_GROUP.findall(token)
    if not groups:
        return 1 if any(c.isalpha() for c in token) else 0
    count = len(groups)
    if language in _HIATUS_LANGS:
        count += sum(_hiatus(group) for group in groups)
    elif language == "en":
        count -= _english_silent(token, count)
    elif language == "fr":
        count -= _french_silent(token, count)
    return max(1, count)


def _hiatus(group: str) -> int:
    """Extra syllables in a vowel group where two strong vowels meet ("le-er", "dí-a")."""
    return sum(1 for a, b in zip(group, group[1:], strict=False) if a in _STRONG and b in _STRONG)


def _english_silent(token: str, count: int) -> int:
    if count < 2:
        return 0
    if token.endswith("e") and not token.endswith(("le", "ee", "ye")):
        return 1  # make, home
    if token.endswith("es") and not re.search(r"(s|x|z|ch|sh|ce|ge|[^aeiou]l)es$", token):
        return 1  # takes, homes
    if token.endswith("ed") and not token.endswith(("ted", "ded")):
        return 1  # used, opened
    return 0


def _french_silent(token: str, count: int) -> int:
    if count >= 2 and re.search(r"[^aeiouy](e|es|ent)$", token):
        return 1  # porte, portes, portent
    return 0


def _has_kana(text: str) -> bool:
    return any(0x3040 <= ord(c) <= 0x30FF for c in text)


_kakasi_lock = threading.Lock()


@lru_cache(maxsize=1)
def _kakasi():  # -> pykakasi.kakasi
    import pykakasi

    return pykakasi.kakasi()


@lru_cache(maxsize=4096)
def _morae(text: str) -> int:
    """Morae of Japanese text: kana read by pykakasi, small kana joined to the previous one."""
    with _kakasi_lock:  # pykakasi's converter keeps state between calls
        reading = "".join(part["hira"] for part in _kakasi().convert(text))
    count = 0
    for char in reading:
        if char in _SMALL_KANA:
            continue
        if 0x3040 <= ord(char) <= 0x30FF or char == "ー":
            count += 1
        elif char.isalpha():
            count += 1  # Latin letters inside Japanese text: a rough one mora each
    return count

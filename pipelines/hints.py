"""Vocabulary hints in the vocabulary portal's shape: word, romaji/reading, english, ai_hint.

Offline the hint is composed from the stored vocabulary entry (gloss, reading, part of
speech, level, groups, example), the open dictionaries for English and Japanese
(`pipelines.dictionary`: WordNet; JMdict, JMnedict and KANJIDIC2), and measured facts
(wordfreq frequency band, a cognate check against the gloss, the Japanese script in use).
The hint text gives the meaning, the reading, a memory aid and an example when the entry or
the dictionary has one. Stored facts win over the dictionary's. An LLM, when configured,
writes the hint itself from the same facts; stored facts (reading, gloss) always win over
the model's.

Outcome for a word nobody knows: no vocabulary entry, no dictionary meaning and absent from
wordfreq's list for the language -> PipelineError("word_unknown") (permanent: the job fails
with that code, and the API shows it). Dictionary data that is not installed fails the job
with `dictionary_missing`, never a hint without a meaning.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import prompts
from pipelines import dictionary
from pipelines.cefr import check_language, frequency_band, zipf, zipf_to_level
from pipelines.errors import PipelineError
from pipelines.llm import LLMProvider

# Bump when the offline composition changes, so cached offline hints are not reused.
OFFLINE_ENGINE_VERSION = "2026-11-29"
# pykakasi reads the topic particle は as "ha"; in these set greetings it is "wa".
_ROMAJI_EXCEPTIONS = {"こんにちは": "konnichiwa", "こんばんは": "konbanwa"}


@dataclass(frozen=True)
class VocabularyEntry:
    """What the vocabulary store knows about a word (plain values; no database here)."""

    term: str
    language: str
    reading: str | None = None
    translations: list[str] = field(default_factory=list)
    part_of_speech: str | None = None
    level: str | None = None
    groups: list[str] = field(default_factory=list)
    example_sentence: str | None = None
    example_translation: str | None = None
    id: str | None = None


@dataclass(frozen=True)
class Hint:
    word: str
    romaji: str | None  # Hepburn romanisation for Japanese, else None
    reading: str | None  # stored reading, romaji, or the model's pronunciation
    english: str | None  # gloss; None when no entry and no model gave one
    ai_hint: str
    example_sentence: str | None
    example_translation: str | None
    part_of_speech: str | None
    level: str | None
    level_source: str | None  # "entry" or "frequency"
    frequency_band: str
    zipf: float
    groups: list[str]
    language: str
    word_id: str | None = None
    provider: str = "offline"
    model: str | None = None
    prompt_version: str | None = None
    headword: str | None = None  # the dictionary form found (思う for 思っ, go for went)
    meanings: list[str] = field(default_factory=list)  # the dictionary's senses, commonest first
    memory_aid: str | None = None
    sources: list[str] = field(default_factory=list)  # where each fact came from
    method: str | None = None  # how the dictionary reached the headword

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def generate_hint(
    word: str,
    language: str,
    *,
    entry: VocabularyEntry | None = None,
    context: str | None = None,
    llm: LLMProvider | None = None,
) -> Hint:
    """Build a hint for one word; raises PipelineError("word_unknown") when nothing knows it."""
    language = check_language(language)
    term = (entry.term if entry else word).strip()
    if not term:
        raise PipelineError("word_unknown", "No word was given.")
    frequency = zipf(term, language)
    meaning = dictionary.lookup(term, language)
    if entry is None and meaning is None and frequency == 0:
        raise PipelineError(
            "word_unknown",
            f"'{term}' is neither in the vocabulary, nor in the dictionaries, nor in the "
            f"{language} word list.",
            details={"word": term, "language": language},
        )
    stored_reading = entry.reading if entry and entry.reading else None
    kana = stored_reading or (meaning.reading if meaning else None)
    romaji = romanise(term, kana) if language == "ja" else None
    level, level_source = _level(entry, frequency, language)
    example, example_translation = _example(entry, meaning, language)
    base = Hint(
        word=term,
        romaji=romaji,
        reading=kana if language == "ja" and kana else stored_reading or romaji,
        english=_english(entry, meaning),
        ai_hint="",
        example_sentence=example,
        example_translation=example_translation,
        part_of_speech=(entry.part_of_speech if entry else None)
        or (meaning.part_of_speech if meaning else None),
        level=level,
        level_source=level_source,
        frequency_band=frequency_band(frequency),
        zipf=frequency,
        groups=list(entry.groups) if entry else [],
        language=language,
        word_id=entry.id if entry else None,
        headword=meaning.headword if meaning else None,
        meanings=list(meaning.glosses) if meaning else [],
        memory_aid=_memory_aid(term, meaning, entry, language),
        sources=_sources(entry, meaning, frequency),
        method=meaning.method if meaning else None,
    )
    if llm is None:
        return dataclasses.replace(base, ai_hint=_compose(base, context))
    return _with_llm(base, context, llm)


def _english(entry: VocabularyEntry | None, meaning: dictionary.Meaning | None) -> str | None:
    if entry and entry.translations:
        return ", ".join(entry.translations)
    return meaning.glosses[0] if meaning and meaning.glosses else None


def _example(
    entry: VocabularyEntry | None, meaning: dictionary.Meaning | None, language: str
) -> tuple[str | None, str | None]:
    """The entry's example, else the dictionary's (WordNet's are English sentences, so they
    serve English words only; JMdict as shipped has none)."""
    if entry and entry.example_sentence:
        return entry.example_sentence, entry.example_translation
    if (
        meaning
        and meaning.examples
        and (language == "en") == (meaning.source.startswith("WordNet"))
    ):
        return meaning.examples[0], None
    return None, None


def _memory_aid(
    term: str, meaning: dictionary.Meaning | None, entry: VocabularyEntry | None, language: str
) -> str | None:
    """One or two facts to hang the word on: its kanji, where a loanword comes from, what it
    is a kind of, a synonym, its opposite or word family; else its dictionary form."""
    aids = list(meaning.aids[:2]) if meaning else []
    if meaning and meaning.headword != term and meaning.method != "exact":
        aids.insert(0, f"It is a form of '{meaning.headword}'.")
    return " ".join(aids[:2]) or None


def _sources(
    entry: VocabularyEntry | None, meaning: dictionary.Meaning | None, frequency: float
) -> list[str]:
    out = []
    if entry is not None:
        out.append("vocabulary entry")
    if meaning is not None:
        out.append(meaning.source)
    if frequency > 0:
        out.append("wordfreq")
    return out


def hint_cache_key(
    word: str,
    language: str,
    *,
    context: str | None,
    entry: VocabularyEntry | None,
    provider: str,
    model: str | None,
    prompt_version: str | None,
) -> str:
    """SHA-256 over everything that shapes the answer: the request, the entry as stored, and
    which engine (provider, model, prompt or offline-engine version) answers."""
    payload = {
        "word": unicodedata.normalize("NFC", word.strip()),
        "language": language.lower(),
        "context": (context or "").strip(),
        "entry": dataclasses.asdict(entry) if entry else None,
        "provider": provider,
        "model": model,
        "version": prompt_version if provider != "offline" else OFFLINE_ENGINE_VERSION,
    }
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def romanise(term: str, reading: str | None = None) -> str:
    """Hepburn romaji for Japanese: from the stored reading when there is one (kana or
    already Latin), else from the term itself via pykakasi's dictionary."""
    if reading and all(_is_latin(c) for c in reading if c.isalpha()):
        return reading.strip()
    source = reading or term
    if source in _ROMAJI_EXCEPTIONS:
        return _ROMAJI_EXCEPTIONS[source]
    return "".join(seg["hepburn"] for seg in _kakasi().convert(source)).strip()


def _with_llm(base: Hint, context: str | None, llm: LLMProvider) -> Hint:
    known = {
        "reading": base.reading,
        "english": base.english,
        "part_of_speech": base.part_of_speech,
        "level": base.level,
        "groups": base.groups,
        "example_sentence": base.example_sentence,
        "frequency_band": base.frequency_band,
    }
    prompt = prompts.render(
        "hint",
        language=prompts.language_name(base.language),
        word=base.word,
        context=context or (base.groups[0] if base.groups else "none"),
        entry={k: v for k, v in known.items() if v},
    )
    result = llm.generate_json(prompt)
    data = result.data
    return dataclasses.replace(
        base,
        ai_hint=data["ai_hint"],
        english=base.english or data["english"],
        reading=base.reading or data["reading"],
        part_of_speech=base.part_of_speech or data["part_of_speech"],
        example_sentence=base.example_sentence or data["example_sentence"],
        example_translation=(
            base.example_translation if base.example_sentence else data["example_translation"]
        ),
        provider=result.provider,
        model=result.model,
        prompt_version=result.prompt_version,
    )


def _compose(hint: Hint, context: str | None) -> str:
    name = prompts.language_name(hint.language)
    parts = []
    reading = hint.reading
    if hint.language == "ja" and hint.romaji and hint.romaji != hint.reading:
        reading = f"{hint.reading}, {hint.romaji}" if hint.reading else hint.romaji
    said = f"'{hint.word}'" + (f" ({reading})" if reading else "")
    if hint.english:
        kind = f", {_a(_short_pos(hint.part_of_speech))}," if hint.part_of_speech else ""
        parts.append(f"{said}{kind} means '{hint.english}'.")
        others = [m for m in hint.meanings[1:3] if m != hint.english]
        if others:
            parts.append(f"Also: {'; '.join(others)}.")
    elif hint.language in dictionary.LANGUAGES:
        parts.append(f"{said} is not in the offline dictionaries (WordNet, JMdict).")
    else:
        parts.append(f"{said} has no stored translation yet.")
    if hint.memory_aid:
        parts.append(f"Memory aid: {hint.memory_aid}")
    level = (
        f"{_a(hint.level)} word"
        if hint.level_source == "entry"
        else f"about {hint.level} by frequency"
    )
    parts.append(f"It is {level} and {hint.frequency_band} in {name} (Zipf {hint.zipf:.1f}).")
    if hint.language == "ja":
        parts.append(_script_note(hint))
    cognate = _cognate(hint)
    if cognate:
        parts.append(f"It looks like English '{cognate}': use that to remember it.")
    topic = context or (hint.groups[0] if hint.groups else None)
    if topic:
        parts.append(f"You will meet it in '{topic}'.")
    if hint.example_sentence:
        example = f"Example: {hint.example_sentence}"
        if hint.example_translation:
            example += f" ({hint.example_translation})"
        parts.append(example)
    return " ".join(p for p in parts if p)


def _short_pos(tag: str | None) -> str | None:
    """JMdict's long part-of-speech labels, cut to the word class ("Godan verb with 'u'
    ending" -> "verb")."""
    if not tag:
        return tag
    for word_class in ("verb", "adjective", "noun", "adverb", "particle", "pronoun"):
        if word_class in tag.lower().split():
            return word_class
    return tag


def _a(noun: str | None) -> str:
    """Prefix the article by first letter ("an A1", "a B2"): right for these labels."""
    return f"{'an' if (noun or ' ')[0].lower() in 'aeiou' else 'a'} {noun}"


def _script_note(hint: Hint) -> str:
    scripts = {_script(c) for c in hint.word if c.isalpha()}
    if scripts == {"katakana"}:
        return "It is written in katakana, the script for loanwords and emphasis."
    if "kanji" in scripts:
        return f"Its kanji are read '{hint.reading}'." if hint.reading else ""
    if scripts == {"hiragana"}:
        return "It is usually written in hiragana."
    return ""


def _cognate(hint: Hint) -> str | None:
    if not hint.english or hint.language == "en":
        return None
    form = _fold(hint.romaji or hint.word)
    for gloss in (g.strip() for g in hint.english.split(",")):
        target = _fold(gloss.removeprefix("to ").removeprefix("the "))
        if len(target) >= 4 and difflib.SequenceMatcher(None, form, target).ratio() >= 0.75:
            return gloss
    return None


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if c.isalpha() and not unicodedata.combining(c))


def _level(entry: VocabularyEntry | None, frequency: float, language: str):
    if entry and entry.level:
        return entry.level, "entry"
    if frequency > 0:
        return zipf_to_level(frequency), "frequency"
    return None, None


def _script(ch: str) -> str:
    name = unicodedata.name(ch, "")
    if "KATAKANA" in name or ch == "ー":
        return "katakana"
    if "HIRAGANA" in name:
        return "hiragana"
    if "CJK UNIFIED" in name:
        return "kanji"
    return "other"


def _is_latin(ch: str) -> bool:
    return "LATIN" in unicodedata.name(ch, "")


@lru_cache(maxsize=1)
def _kakasi():
    import pykakasi

    return pykakasi.kakasi()

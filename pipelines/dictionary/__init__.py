"""Offline dictionaries for hints: what a word means, how it is read, an example, and the
facts a memory aid is made of.

- English: Princeton WordNet 3.0 as Debian's `wordnet-base` installs it
  (`/usr/share/wordnet`), read with NLTK's WordNet reader; the most frequent sense first
  (WordNet's tagged-sense counts). WordNet has nouns, verbs, adjectives and adverbs only: the
  closed-class words (pronouns, determiners, prepositions, conjunctions, auxiliaries) and
  contractions are described by a short table in `english_grammar.py`.
- Japanese: JMdict (and JMnedict for names, KANJIDIC2 for the meanings of kanji) from the
  Electronic Dictionary Research and Development Group, CC BY-SA 4.0, as the `jamdict-data`
  package ships it, read with `jamdict`. Inflected forms are taken back to the dictionary
  form by a small deinflector (`japanese_forms.py`).

Each lookup says which dictionary and which method found the meaning. A dictionary whose
data is not installed raises DictionaryMissing (code `dictionary_missing`) naming what to
install; it never silently answers "unknown".
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipelines.errors import PipelineError

LANGUAGES = ("en", "ja")


class DictionaryMissing(PipelineError):
    """The dictionary data for a language is not installed on this machine."""

    def __init__(self, message: str) -> None:
        super().__init__("dictionary_missing", message)


@dataclass(frozen=True)
class Meaning:
    """What a dictionary says about a word."""

    word: str  # as asked
    headword: str  # the dictionary form that was found (lemma, deinflected form)
    glosses: list[str]  # English meanings, most frequent sense first
    reading: str | None = None  # kana for Japanese
    part_of_speech: str | None = None
    examples: list[str] = field(default_factory=list)
    aids: list[str] = field(default_factory=list)  # facts for a memory aid, as sentences
    source: str = ""  # e.g. "WordNet 3.0", "JMdict"
    method: str = ""  # how the headword was reached: "exact", "lemma", "deinflected", ...


def lookup(word: str, language: str) -> Meaning | None:
    """The meaning of `word` in `language` ("en" or "ja"), or None when the dictionaries
    do not have it. Raises DictionaryMissing when the data is not installed."""
    if language == "en":
        from pipelines.dictionary.english import lookup_english

        return lookup_english(word)
    if language == "ja":
        from pipelines.dictionary.japanese import lookup_japanese

        return lookup_japanese(word)
    return None


__all__ = ["LANGUAGES", "DictionaryMissing", "Meaning", "lookup"]

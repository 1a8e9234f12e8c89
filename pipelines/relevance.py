"""How far an answer addresses its task: IDF-weighted key-word coverage of the task.

The task's content words (not function words, not instruction words such as "describe") are
reduced to stems (`stem`: inflections and common derivations removed, so "travelled",
"travelling" and "travels" meet). Each stem weighs by how informative it is, the inverse of
its frequency (`7 - Zipf`, floored at 0.5: "holiday" counts more than "good"). Relevance is
the weighted share of the task's stems that the answer uses, 0-100.

An answer can be on topic in other words ("morning", "breakfast" for "a normal day"), so before
calling it off-topic each key word also counts when the answer uses a word WordNet relates to
it: one of its synonyms, broader and narrower terms, parts and wholes or derived forms
(`related`), or two of the content words of its definitions (`defining`). A definition's words
are weaker evidence than the word's relations: a definition is a short phrase of common words,
and one of them meets an answer by chance more often than not, the more so as stems join
parts of speech ("favourite" is "something regarded with special favor", and an answer about
investment that "favoured" districts is not about a favourite pet); two distinct ones are the
same subject. `off_topic` is true only when a task with at least two key words has under 20 %
of their weight in the answer both literally and through those relations: precision first,
since an off-topic answer is placed a band lower. Method name in results:
`keyword-idf-wordnet-v2` (`keyword-idf-v1` where WordNet is not installed, with literal
matching only; v1 counted a single definition word as evidence).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from pipelines.cefr import tokenize, zipf

METHOD = "keyword-idf-wordnet-v2"
LITERAL_METHOD = "keyword-idf-v1"
OFF_TOPIC_BELOW = 20.0
MIN_KEY_WORDS = 2
SENSES = 4  # WordNet senses of a key word considered, most frequent first
RELATED_EVIDENCE = 1  # distinct related answer words that address a key word
DEFINITION_EVIDENCE = 2  # distinct answer words from the key word's definitions

_INSTRUCTION_WORDS = frozenset(
    "write describe explain tell talk speak say about words text essay paragraph email letter "
    "your you answer question questions give reasons example examples minute minutes "
    "escribe describe explica habla écrivez décrivez parlez schreiben beschreiben sprechen "
    "think opinion why what how when where which who did does doing done have has had would "
    "could should will can".split()
)
_SUFFIXES = ("ations", "ation", "ings", "ing", "edly", "ied", "ies", "ed", "es", "ly", "s")


def stem(word: str) -> str:
    """A light English-first stem: the longest listed suffix off, a doubled final consonant
    undone ("travell" -> "travel"), at least four letters kept."""
    word = word.lower().replace("’", "'").split("'")[0]
    for suffix in _SUFFIXES:
        keep = 3 if suffix in ("ied", "ies") else 4
        if word.endswith(suffix) and len(word) - len(suffix) >= keep:
            word = word[: -len(suffix)]
            if suffix in ("ied", "ies"):
                word += "y"
            break
    if len(word) > 4 and word[-1] == word[-2] and word[-1] not in "aeiouls":
        word = word[:-1]
    if len(word) > 4 and word.endswith("ll"):
        word = word[:-1]
    return word


@dataclass(frozen=True)
class Relevance:
    score: float  # 0-100, weighted share of the task's key words used
    off_topic: bool
    key_words: list[str]  # the task's key words, most informative first
    used: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    related_score: float | None = None  # 0-100, counting WordNet relations too
    method: str = METHOD


def task_relevance(task: str, answer: str, language: str) -> Relevance:
    """Measure how far `answer` addresses `task` (see module docstring)."""
    keys: dict[str, tuple[str, float]] = {}
    for token in tokenize(task, language):
        word = token.norm
        if not _is_key(word, language):
            continue
        weight = max(0.5, 7.0 - zipf(word, language))
        key = stem(word)
        if key not in keys or keys[key][1] < weight:
            keys[key] = (word, weight)
    if not keys:
        return Relevance(score=100.0, off_topic=False, key_words=[])
    said = {stem(t.norm) for t in tokenize(answer, language)}
    total = sum(weight for _, weight in keys.values())
    hit = sum(weight for key, (_, weight) in keys.items() if key in said)
    score = round(hit / total * 100, 1)
    ordered = sorted(keys.items(), key=lambda kv: -kv[1][1])
    method, related_score = LITERAL_METHOD, None
    if language == "en" and wordnet_available():
        method = METHOD
        near = sum(
            weight
            for key, (word, weight) in keys.items()
            if key in said
            or len(related(word) & said) >= RELATED_EVIDENCE
            or len(defining(word) & said) >= DEFINITION_EVIDENCE
        )
        related_score = round(near / total * 100, 1)
    off_topic = (
        len(keys) >= MIN_KEY_WORDS
        and score < OFF_TOPIC_BELOW
        and (related_score is None or related_score < OFF_TOPIC_BELOW)
    )
    return Relevance(
        score=score,
        off_topic=off_topic,
        related_score=related_score,
        method=method,
        key_words=[word for _, (word, _) in ordered],
        used=[word for key, (word, _) in ordered if key in said],
        missing=[word for key, (word, _) in ordered if key not in said],
    )


def wordnet_available() -> bool:
    from pipelines.dictionary.english import WORDNET_DIR

    return (WORDNET_DIR / "index.noun").exists()


@lru_cache(maxsize=4096)
def related(word: str) -> frozenset[str]:
    """Stems of the English words WordNet relates to `word` (see module docstring)."""
    names: set[str] = set()
    for synset in _senses(word):
        neighbours = [
            synset,
            *synset.hypernyms(),
            *synset.hyponyms(),
            *synset.part_meronyms(),
            *synset.part_holonyms(),
            *synset.member_holonyms(),
        ]
        for other in neighbours:
            for lemma in other.lemmas():
                names.update(lemma.name().lower().split("_"))
        for lemma in synset.lemmas():
            for form in lemma.derivationally_related_forms():
                names.update(form.name().lower().split("_"))
    return frozenset(stem(n) for n in names if _is_key(n, "en"))


@lru_cache(maxsize=4096)
def defining(word: str) -> frozenset[str]:
    """Stems of the content words of WordNet's definitions of `word`."""
    names: set[str] = set()
    for synset in _senses(word):
        names.update(re.findall(r"[a-z]+", synset.definition().lower()))
    return frozenset(stem(n) for n in names if _is_key(n, "en"))


def _senses(word: str) -> list[Any]:  # NLTK synsets
    from pipelines.dictionary.english import wordnet

    # Senses that are instances (places, people: "Mobile", a river in Alabama) are names, not
    # what a task means by the word.
    return [s for s in wordnet().synsets(word) if not s.instance_hypernyms()][:SENSES]


def _is_key(word: str, language: str) -> bool:
    # Function words are the most frequent forms in every language (Zipf >= 6 is roughly the
    # top 100); instruction words say what to do, not what about.
    return (
        len(word) > 2
        and word.isalpha()
        and zipf(word, language) < 6.0
        and word not in _INSTRUCTION_WORDS
    )

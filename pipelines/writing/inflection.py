"""The inflection a misspelling shows is the one the writer meant: "maintaing" -> "maintaining".

A misspelled inflected word keeps its ending while the slip sits in the stem, or where stem
and ending meet: "maintaing" (the "in" of "maintain" and of "-ing" written once), "hobbys",
"studing". The dictionary words nearest to it can be another form of the right word
("maintain", "maintains", "hobby"), so each candidate that is a form of a word with a form
carrying the misspelling's ending (-ing, -ed, -s) within two edits is replaced by that form:
the ending says which form, the context then ranks the words (`spelling._suggestions`, with
the bigram model). Forms come from `lemminflect`'s tables (SPECIALIST lexicon and AGID).
"""

from __future__ import annotations

from functools import lru_cache

from rapidfuzz.distance import DamerauLevenshtein

# Endings a learner's spelling keeps and the Penn tags of the forms they spell.
ENDINGS = (("ing", ("VBG",)), ("ed", ("VBD", "VBN")), ("s", ("NNS", "VBZ")))
MAX_EDITS = 2
MIN_STEM = 3


def keep_inflection(word: str, candidates: set[str]) -> set[str]:
    """The candidates with each form of another inflection replaced by the form that ends
    like `word`, when there is one within two edits of it."""
    ending = next(
        (e for e in ENDINGS if word.endswith(e[0]) and len(word) - len(e[0]) >= MIN_STEM), None
    )
    if ending is None:
        return candidates
    suffix, tags = ending
    out: set[str] = set()
    for candidate in candidates:
        if candidate.endswith(suffix):
            out.add(candidate)
            continue
        kept = {
            f
            for f in _forms(candidate, tags)
            if f.endswith(suffix) and DamerauLevenshtein.distance(word, f) <= MAX_EDITS
        }
        out |= kept or {candidate}
    return out


def nearest_form_distance(word: str, replacement: str) -> int:
    """Edits from `word` to the nearest form of the word `replacement` is a form of:
    "maintaing" is one edit from "maintain", so "maintaining" counts as one edit."""
    distance = DamerauLevenshtein.distance(word, replacement)
    for form in _all_forms(replacement):
        distance = min(distance, DamerauLevenshtein.distance(word, form))
    return distance


@lru_cache(maxsize=8192)
def _forms(word: str, tags: tuple[str, ...]) -> frozenset[str]:
    from lemminflect import getAllInflections, getAllLemmas

    forms: set[str] = set()
    for upos, lemmas in getAllLemmas(word).items():
        for lemma in lemmas:
            inflections = getAllInflections(lemma, upos=upos)
            for tag in tags:
                forms.update(inflections.get(tag, ()))
    forms.discard(word)
    return frozenset(forms)


@lru_cache(maxsize=8192)
def _all_forms(word: str) -> frozenset[str]:
    from lemminflect import getAllInflections, getAllLemmas

    forms: set[str] = set()
    for upos, lemmas in getAllLemmas(word).items():
        for lemma in lemmas:
            forms.add(lemma)
            for found in getAllInflections(lemma, upos=upos).values():
                forms.update(found)
    return frozenset(forms)

"""English words the spelling dictionary lacks: a real word, or a misspelling worth a fix?

A learner's dictionary misses many real words: rare and technical words ("axiological"),
new formations ("recertification", "downloaders", "facticity"), loanwords ("arché"), names
("Wolin") and foreign words ("zur", "ein"). Offering the nearest common word for one of these
changes a correct word into another ("facticity" -> "activity"). So the spelling check
accepts the words WordNet lists, alone or as a compound with a hyphen or a neighbour
("axiological", "tic-tac-toe", "a priori"), leaves the words of a web address alone
("vimeo.com"), and otherwise offers a replacement only when it is clearly the better reading;
when it is not, the word is reported as not in the dictionary, with no replacement, for the
learner to check.

A replacement is offered (`offer_replacement`) when none of these holds:

- the word carries a letter English spells without accents ("arché", "d'être"): a loanword
  or a name, and dropping the accent is no correction;
- it reads as an English formation: a common prefix on a dictionary word ("re" +
  "certification", "un" + "feel") or a dictionary word with a derivational suffix ("download"
  + "ers", "fact" + "icity", "club" + "less"), unless the replacement only changes the
  letters where the two parts meet, the classic slip of such words ("true" + "ly" -> "truly",
  "argue" + "ment" -> "argument"). Inflections (-s, -ed, -ing) are not counted: "hobbys" and
  "shoping" are the classic misspellings of that shape;

and one of these holds:

- the context supports the replacement: with one of its neighbours it forms a word pair the
  bigram counts hold more often than chance (`Bigrams.support` > 0): "my freind" -> "my
  friend", "a peice of";
- when no neighbour supports it, the replacement is one edit away and among the most common
  English words (Zipf >= 4.75, the 1,500 most frequent: A2 by frequency, `cefr.lexicon`),
  and the word has four letters or more: "Tomorow we" -> "Tomorrow". Three-letter forms
  such as "Thx" and "Erm" are as often abbreviations and interjections as slips.

Not used: CMUdict (in `pocketsphinx`) as a further lexicon. It lists names and common
misspellings ("freind", "hause", "verry", "wass"), so it would accept learners' errors.
Neither is a foreign-word signal (a common word of another language): learners' misspellings
are often their own language's spelling ("confortable", "hause").
"""

from __future__ import annotations

import re
from functools import lru_cache

from rapidfuzz.distance import DamerauLevenshtein

from pipelines.cefr import zipf
from pipelines.writing.ngrams import english_bigrams

COMMON_ZIPF = 4.75  # about the 1,500 most frequent English words (A2 by frequency)
MIN_LETTERS_WITHOUT_CONTEXT = 4
BASE_ZIPF = 3.0  # a formation's base must be a word learners and editors use (top ~30,000)
MIN_BASE = 3

# Prefixes and derivational suffixes of English word formation (Bauer, Lieber & Plag, The
# Oxford Reference Guide to English Morphology, 2013): the productive ones only.
PREFIXES = ("anti", "co", "counter", "de", "dis", "hyper", "inter", "mis", "multi", "non",
            "over", "post", "pre", "re", "self", "sub", "super", "trans", "un",
            "under")  # fmt: skip
SUFFIXES = ("able", "al", "ally", "dom", "er", "ers", "esque", "ful", "hood", "ic", "icity",
            "ise", "ised", "ism", "isms", "ist", "ists", "ity", "ive", "ively", "ize", "ized",
            "less", "ly", "ment", "ments", "ness", "ship", "wise")  # fmt: skip
_ENGLISH_LETTERS = re.compile(r"^[a-z']+$")
# A word joined by a dot to a top-level domain is part of a web address ("vimeo.com").
_WEB_ADDRESS = re.compile(r"\.(?:com|org|net|edu|gov|io|co|uk|de|fr|info)\b", re.IGNORECASE)


def wordnet_word(form: str) -> bool:
    """True when WordNet lists the form as one of its words or compounds ("axiological",
    "tic-tac-toe", "wishy-washy"), or a hyphenated compound's plural ("stand-alones");
    False when WordNet is not installed."""
    form = form.lower().replace("’", "'").replace(" ", "_")
    lemmas = _wordnet_lemmas()
    if form in lemmas:
        return True
    return "-" in form and form.endswith("s") and (form[:-1] in lemmas or form[:-2] in lemmas)


def wordnet_compound(left: str | None, word: str, right: str | None) -> bool:
    """True when the word and a neighbour make a compound WordNet lists ("a priori",
    "raison d'etre")."""
    lemmas = _wordnet_lemmas()
    return bool((left and f"{left}_{word}" in lemmas) or (right and f"{word}_{right}" in lemmas))


def in_web_address(text: str, end: int) -> bool:
    """True when the word that ends at `end` is followed by a dot and a domain ending."""
    return bool(_WEB_ADDRESS.match(text, end))


def offer_replacement(word: str, replacement: str, left: str | None, right: str | None) -> bool:
    """Whether to offer `replacement` for the unknown English `word` (lower case) between
    its neighbours (see the module docstring)."""
    if not _ENGLISH_LETTERS.match(word):
        return False
    junctions = formation_junctions(word)
    if junctions and not any(_edit_at(word, replacement, j) for j in junctions):
        return False
    support = english_bigrams().support(left, replacement, right)
    if support is not None and support > 0:
        return True
    return (len(word) >= MIN_LETTERS_WITHOUT_CONTEXT
            and zipf(replacement, "en") >= COMMON_ZIPF
            and DamerauLevenshtein.distance(word, replacement) == 1)  # fmt: skip


@lru_cache(maxsize=8192)
def formation_junctions(word: str) -> tuple[int, ...]:
    """Where the parts meet when the word reads as a productive prefix on a dictionary word
    or a dictionary word with a derivational suffix; empty when it reads as neither."""
    found = [len(p) for p in PREFIXES if word.startswith(p) and _base(word[len(p) :])]
    found += [len(word) - len(s) for s in SUFFIXES if word.endswith(s) and _base(word[: -len(s)])]
    return tuple(found)


def _edit_at(word: str, replacement: str, junction: int) -> bool:
    """True when every letter the replacement changes lies within one letter of the
    junction."""
    shortest = min(len(word), len(replacement))
    head = 0
    while head < shortest and word[head] == replacement[head]:
        head += 1
    tail = 0
    while tail < shortest - head and word[-1 - tail] == replacement[-1 - tail]:
        tail += 1
    return junction - 1 <= head and len(word) - tail <= junction + 1


def _base(stem: str) -> bool:
    return len(stem) >= MIN_BASE and zipf(stem, "en") >= BASE_ZIPF and _is_word(stem)


@lru_cache(maxsize=8192)
def _is_word(form: str) -> bool:
    from pipelines.writing.spelling import _spellchecker

    return form in _spellchecker("en") or wordnet_word(form)


@lru_cache(maxsize=1)
def _wordnet_lemmas() -> frozenset[str]:
    from pipelines.dictionary.english import wordnet
    from pipelines.relevance import wordnet_available

    if not wordnet_available():
        return frozenset()
    return frozenset(name.lower() for name in wordnet().all_lemma_names())

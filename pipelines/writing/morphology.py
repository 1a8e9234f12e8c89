"""Irregular English forms a learner makes regular: "eated" -> "ate", "childs" -> "children".

A learner who writes "eated", "goed", "buyed" or "childs" applied the regular rule to an
irregular word. The word is read back to its stem by undoing the regular ending (-ed, -d,
a doubled consonant + -ed, -s, -es, -er, -est) and `lemminflect`'s tables (built from the
SPECIALIST lexicon and AGID) say what the stem's real form is: the past of "eat" is "ate",
after "have" the participle "eaten"; the plural of "child" is "children"; "gooder" is
"better". A double plural ("childrens") is read back to its plural. An -s on a noun
whose plural is the singular is reported for "sheep", "deer" and the uncountable nouns
learners count ("informations", "advices", "homeworks"): lemminflect lists many nouns as
uncountable that writers do count ("idealisms", "haikus").

The rule reports only forms that are no real word: a verb or noun form `lemminflect` lists
for any lemma ("payed", "flied", "singed") is left alone, and so is another word the
dictionaries know ("leaved" as in "four-leaved", "mouses"), unless its slot leaves no doubt:
straight after a subject pronoun it is the verb ("we leaved" -> "left"), straight after a
number greater than one the plural ("three mouses" -> "mice").
"""

from __future__ import annotations

from functools import lru_cache

from pipelines.cefr import Token
from pipelines.writing.spans import CheckContext, TextError, match_case
from pipelines.writing.spelling import _spellchecker

_SUBJECTS = frozenset({"i", "you", "he", "she", "it", "we", "they"})
_PERFECT = frozenset({"have", "has", "had", "having", "'ve", "i've", "we've", "you've", "they've"})
_NUMBERS = frozenset(
    "two three four five six seven eight nine ten eleven twelve twenty hundred many several "
    "few these those both".split()
)


def check_irregular_forms(ctx: CheckContext) -> list[TextError]:
    errors = []
    for sentence in ctx.sentences:
        tokens = sentence.tokens
        for i, token in enumerate(tokens):
            word = token.norm
            if not word.isalpha() or len(word) < 4 or token.text.isupper():
                continue
            if token.text[:1].isupper():
                continue  # a name: "Mr Childs", "Reiss Jenkinson"
            before = tokens[i - 1].norm if i and _joined(ctx, tokens, i - 1, i) else ""
            found = regularised(word, before)
            if found is None:
                continue
            wanted, kind, stem = found
            errors.append(
                TextError(
                    token.start,
                    token.end - token.start,
                    f"'{token.text}' is not a word: the {kind} of '{stem}' is '{wanted}'.",
                    "grammar",
                    [match_case(wanted, token.text)],
                    "irregular_forms",
                )
            )
    return errors


def regularised(word: str, before: str = "") -> tuple[str, str, str] | None:
    """(real form, "past"/"past participle"/"plural"/..., stem) when `word` is an irregular
    word given a regular ending; None when it is a real word or not such a form."""
    if word in _ACCEPTED:
        return None
    lemmas = _lemmas(word)
    if "VERB" in lemmas or "NOUN" in lemmas:
        return None  # a real form: "payed", "singed", "cats"
    in_dictionary = bool(lemmas) or word in _spellchecker("en")
    for stem, tag in _readings(word):
        forms = _inflections(stem, tag)
        if not forms or word in forms:
            continue
        if tag == "VBD" and before in _PERFECT:
            tag, forms = "VBN", _inflections(stem, "VBN")
        if in_dictionary and not _slot_is_clear(tag, before):
            return None
        return forms[0], _KIND[tag], stem
    return None


_KIND = {
    "VBD": "past",
    "VBN": "past participle",
    "NNS": "plural",
    "JJR": "comparative",
    "JJS": "superlative",
}


def _slot_is_clear(tag: str, before: str) -> bool:
    if tag == "VBD":
        return before in _SUBJECTS
    if tag == "NNS":
        return before in _NUMBERS or before.isdigit()
    return False


def _readings(word: str) -> list[tuple[str, str]]:
    """The stems a regular ending would have come from, with the form it was meant to be."""
    out: list[tuple[str, str]] = []
    if word.endswith("ed"):
        out += [(word[:-2], "VBD"), (word[:-1], "VBD")]
        if len(word) > 4 and word[-3] == word[-4]:
            out.append((word[:-3], "VBD"))  # "swimmed" -> "swim"
        if word.endswith("ied"):
            out.append((word[:-3] + "y", "VBD"))
    if word.endswith("s"):
        out.append((word[:-1], "NNS"))
        if word.endswith("es"):
            out.append((word[:-2], "NNS"))
    if word.endswith("er"):
        out += [(word[:-2], "JJR"), (word[:-1], "JJR")]
    if word.endswith("est"):
        out += [(word[:-3], "JJS"), (word[:-2], "JJS")]
    return [(stem, tag) for stem, tag in out if len(stem) >= 2]


@lru_cache(maxsize=8192)
def _inflections(stem: str, tag: str) -> tuple[str, ...]:
    """The stem's irregular forms for a tag; empty when the stem is not a lemma of that part
    of speech or the form is the regular one."""
    from lemminflect import getAllInflections, getAllLemmas

    if tag == "NNS" and stem not in getAllLemmas(stem).get("NOUN", (stem,)):
        return (stem,)  # a double plural: "childrens" -> "children" (not "idealisms")
    upos = {"VBD": "VERB", "VBN": "VERB", "NNS": "NOUN", "JJR": "ADJ", "JJS": "ADJ"}[tag]
    forms = getAllInflections(stem, upos=upos).get(tag, ())
    regular = {
        stem + "ed",
        stem + "d",
        stem + "s",
        stem + "es",
        stem + "er",
        stem + "r",
        stem + "est",
        stem + "st",
        stem[:-1] + "ied",
        stem[:-1] + "ies",
    }
    if not forms or regular & set(forms):
        return ()
    if tag == "NNS" and forms == (stem,) and stem not in _SAME_PLURAL:
        return ()  # lemminflect lists many nouns as uncountable: "idealisms", "haikus"
    return tuple(forms)


# Regular pasts that dictionaries accept beside the irregular one ("they treaded carefully").
_ACCEPTED = frozenset({"treaded"})
# Nouns whose plural is the singular, and uncountable nouns learners give an -s.
_SAME_PLURAL = frozenset(
    "sheep deer information advice furniture homework luggage baggage equipment".split()
)


@lru_cache(maxsize=8192)
def _lemmas(word: str) -> dict[str, tuple[str, ...]]:
    from lemminflect import getAllLemmas

    return dict(getAllLemmas(word))


def _joined(ctx: CheckContext, tokens: tuple[Token, ...], a: int, b: int) -> bool:
    return not ctx.text[tokens[a].end : tokens[b].start].strip()

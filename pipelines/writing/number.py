"""English grammatical number: "there is" + a plural, plural nouns with a singular verb,
"much" + a countable plural. Precision first, like `grammar.py`: each rule looks at
neighbouring words of one clause only and steps aside where the same words can be right.

- there is/was + a plural noun phrase -> are/were: "there is many people", "there was two
  books", "there is some problems" (the phrase: "many", "several", "both", "these",
  "those", a number word, or "some"/"no"/"lots of"... followed by a plural noun; or a plural
  noun straight away). Questions ("is there") are not checked; "many a" is left alone.
- there are/were + "a"/"an" + a singular noun, no "of" in the next words -> is/was ("there
  are a problem"); "a lot", "a few", "a number", "a growing number of" ... are left alone.
- the irregular plurals "people", "children", "men", "women" opening a clause, then a
  singular be/have/do -> the plural form ("people is" -> "are", "children has" -> "have"),
  or an -s verb -> its base ("people says" -> "say"). The noun, with the determiners and
  adjectives before it ("most people", "my children"), must open its clause: at the start,
  after punctuation or after a conjunction. So "one of the people is", "a people is" (a
  nation), "violence against women is" and "for four young people was" are left alone,
  and so is "in my city people is" (a comma after "city" would make it checked).
- "much" + a plural noun -> "many" ("much friends", "too much people"). A plural noun is a
  word cefrpy tags only as a plural noun (not also a verb: "thanks") or an irregular
  plural; "-ics" words, "news", "means", "series", "species" are not plurals here, and
  "how much people earn" is left alone.
"""

from __future__ import annotations

from pipelines.cefr import Token
from pipelines.cefr.lexicon import english_tags
from pipelines.writing.grammar import BASE_OF_THIRD
from pipelines.writing.spans import CheckContext, TextError, match_case

_IRREGULAR_PLURALS = frozenset("people children men women teeth feet mice geese".split())
_SUBJECT_PLURALS = frozenset({"people", "children", "men", "women"})
_NOT_PLURAL = frozenset("news means series species whereabouts odds headquarters".split())
_VERB_OR_SINGULAR = frozenset({"NN", "NNP", "VB", "VBD", "VBG", "VBN", "VBP", "VBZ"})
_PLURAL_OPENERS = frozenset(
    "many several both these those two three four five six seven eight nine ten eleven "
    "twelve twenty thirty forty fifty hundred hundreds thousands dozens".split()
)
_QUANTIFIERS = frozenset({"some", "no", "other", "different", "lots", "loads", "few"})
_ADVERBS = frozenset("also still only always often never usually really just already".split())
_SINGULAR_OK = frozenset(
    "lot lots few number couple dozen variety range total series bunch handful majority "
    "pair host great good whole set group list".split()
)
_SINGULAR_TO_PLURAL = {
    "is": "are",
    "was": "were",
    "has": "have",
    "does": "do",
    "doesn't": "don't",
    "isn't": "aren't",
    "wasn't": "weren't",
    "hasn't": "haven't",
}
_PLURAL_TO_SINGULAR = {"are": "is", "were": "was", "aren't": "isn't", "weren't": "wasn't"}
_VERB_FOLLOWERS = frozenset("is are was were has have had will would can could".split())
# Words that can stand before a plural subject inside its noun phrase.
_NOUN_PHRASE = frozenset(
    "the these those my your his her our their most many some all other such young old "
    "little small local ordinary".split()
)
_OPENERS = frozenset("and but because so when if while although though that where".split())


def check_number(ctx: CheckContext) -> list[TextError]:
    errors: list[TextError] = []
    for sentence in ctx.sentences:
        tokens = sentence.tokens
        questions = sentence.text.rstrip().endswith("?")
        for i, token in enumerate(tokens):
            if token.norm == "there" and not questions:
                found = _existential(ctx, tokens, i)
            elif token.norm in _SUBJECT_PLURALS:
                found = _plural_subject(ctx, tokens, i)
            elif token.norm == "much":
                found = _much(ctx, tokens, i)
            else:
                found = None
            if found is not None:
                errors.append(found)
    return errors


def is_plural_noun(word: str) -> bool:
    if word in _IRREGULAR_PLURALS:
        return True
    if word in _NOT_PLURAL or word.endswith("ics") or word.endswith("ss"):
        return False
    tags = english_tags(word)
    return "NNS" in tags and not tags & _VERB_OR_SINGULAR


def _existential(ctx: CheckContext, tokens: tuple[Token, ...], i: int) -> TextError | None:
    if i + 2 >= len(tokens) or not _joined(ctx, tokens, i, i + 2):
        return None
    verb = tokens[i + 1]
    j = i + 2
    if tokens[j].norm in _ADVERBS and j + 1 < len(tokens) and _joined(ctx, tokens, j, j + 1):
        j += 1
    phrase = [t.norm for t in tokens[j : j + 4]]
    if verb.norm in ("is", "was") and _plural_phrase(ctx, tokens, j):
        wanted = _SINGULAR_TO_PLURAL[verb.norm]
        return _replace(
            verb, wanted, f"'there {wanted}' before a plural: '{' '.join(phrase[:2])}'."
        )
    if verb.norm in ("are", "were") and len(phrase) >= 2 and phrase[0] in ("a", "an"):
        noun = phrase[1]
        if noun in _SINGULAR_OK or _number(noun) != "3s" or not _joined(ctx, tokens, j, j + 1):
            return None
        if "of" in phrase[2:]:
            return None  # "there are a growing number of eyes"
        wanted = _PLURAL_TO_SINGULAR[verb.norm]
        return _replace(
            verb, wanted, f"'there {wanted}' before a singular: '{' '.join(phrase[:2])}'."
        )
    return None


def _plural_phrase(ctx: CheckContext, tokens: tuple[Token, ...], j: int) -> bool:
    """True when the noun phrase starting at token j is plural."""
    first = tokens[j].norm
    if first == "many" and j + 1 < len(tokens) and tokens[j + 1].norm == "a":
        return False  # "many a slip"
    if first in _PLURAL_OPENERS:
        return True
    if is_plural_noun(first):
        return True
    if first in _QUANTIFIERS:
        k = j + 1
        if first in ("lots", "loads") and k < len(tokens) and tokens[k].norm == "of":
            k += 1
        return k < len(tokens) and _joined(ctx, tokens, j, k) and is_plural_noun(tokens[k].norm)
    return False


def _plural_subject(ctx: CheckContext, tokens: tuple[Token, ...], i: int) -> TextError | None:
    if i + 1 >= len(tokens) or not _joined(ctx, tokens, i, i + 1) or not _opens(ctx, tokens, i):
        return None
    verb = tokens[i + 1]
    following = tokens[i + 2].norm if i + 2 < len(tokens) else ""
    if verb.norm in _SINGULAR_TO_PLURAL:
        wanted = _SINGULAR_TO_PLURAL[verb.norm]
    elif verb.norm in BASE_OF_THIRD and following not in _VERB_FOLLOWERS:
        wanted = BASE_OF_THIRD[verb.norm]
    else:
        return None
    noun = tokens[i].text
    return _replace(verb, wanted, f"'{noun}' is plural: '{noun} {wanted}'.")


def _opens(ctx: CheckContext, tokens: tuple[Token, ...], i: int) -> bool:
    """True when the noun at i, with the determiners and adjectives before it, starts its
    clause: "People is", "and most people is", "My children has"; not "one of the people
    is", "violence against women is", "a people is", "for four young people was"."""
    k = i
    while k and _joined(ctx, tokens, k - 1, k) and tokens[k - 1].norm in _NOUN_PHRASE:
        k -= 1
    if k == 0:
        return True
    between = ctx.text[tokens[k - 1].end : tokens[k].start]
    if any(ch.isdigit() for ch in between):
        return False  # "the litter of 140,000 people is"
    return bool(between.strip()) or tokens[k - 1].norm in _OPENERS


def _much(ctx: CheckContext, tokens: tuple[Token, ...], i: int) -> TextError | None:
    if i + 1 >= len(tokens) or not _joined(ctx, tokens, i, i + 1):
        return None
    noun = tokens[i + 1].norm
    if not is_plural_noun(noun) or (i and tokens[i - 1].norm == "how"):
        return None  # "how much people earn": "much" is the amount of earning
    return _replace(tokens[i], "many", f"'{noun}' can be counted: 'many {noun}'.")


def _number(word: str) -> str | None:
    tags = english_tags(word)
    if "NN" in tags and "NNS" not in tags and not tags & {"VB", "VBP", "RB", "IN", "DT"}:
        return "3s"
    return None


def _replace(token: Token, wanted: str, message: str) -> TextError:
    return TextError(
        token.start,
        token.end - token.start,
        message,
        "grammar",
        [match_case(wanted, token.text)],
        "number",
    )


def _joined(ctx: CheckContext, tokens: tuple[Token, ...], a: int, b: int) -> bool:
    return all(not ctx.text[tokens[k].end : tokens[k + 1].start].strip() for k in range(a, b))

"""English grammar rules: the words and helpers the agreement and verb-form rules share.

The rules are small and tuned for precision over recall: a learner's text is better served
by a few errors reported surely than by many guesses, so each rule looks only at
neighbouring words inside one sentence and steps aside wherever the same words can be
correct. `agreement.py` checks that a verb agrees with its subject ("he have", "the
students is"); `verb_forms.py` checks the form of a verb after an auxiliary ("has went",
"can swims", "I am agree"); `number.py` checks grammatical number ("there is many",
"much friends"). This module holds what they share: the subject pronouns and their person,
the frequency adverbs a verb group may hold, the third-person forms of common verbs, and
when a pronoun is the subject of the verb after it.
"""

from __future__ import annotations

from pipelines.cefr import Token
from pipelines.cefr.lexicon import english_tags
from pipelines.writing.spans import CheckContext, TextError, match_case

PERSON = {"i": "1s", "he": "3s", "she": "3s", "it": "3s", "we": "pl", "you": "pl", "they": "pl"}
ADVERBS = frozenset(
    "always often usually never sometimes also really just only still rarely already "
    "ever recently finally seldom generally normally actually".split()
)
# Words after which a pronoun is not the subject of the next verb, or the next verb is bare.
_AUXILIARIES = frozenset(
    "do does did don't doesn't didn't am is are was were isn't aren't wasn't weren't have has "
    "had haven't hasn't hadn't will would can could shall should may might must won't "
    "wouldn't can't cannot couldn't shouldn't mustn't let let's make makes made help helps "
    "helped see saw watch watched hear heard feel felt".split()
)
# "you" and "it" are objects as often as subjects: after a preposition ("items from it are")
# or one of these verbs ("thank you is") they are not the subject of the next verb.
_PREPOSITIONS = frozenset(
    "to for with about at from of than by in on into onto over under through behind near "
    "without like below above beside between within upon across along among beyond around "
    "against inside outside towards toward throughout except".split()
)
_OBJECT_VERBS = frozenset(
    "thank thanks tell told give gave ask asked love want need show showed meet met call "
    "called teach taught send sent bring brought".split()
)
_OBJECT_CONTEXT = _PREPOSITIONS | _OBJECT_VERBS
_SYMBOLS = frozenset("-^/\\_=$@#%&*+<>|~`")
# Verbs whose object is often a clause ("I know it is", "I guess you are"): a pronoun after
# them may be the clause's subject.
_CLAUSE_VERBS = frozenset(
    "know knew known believe believed suppose supposed imagine imagined assume assumed ensure "
    "ensured realise realised realize realized understand understood guess guessed hope hoped "
    "think thought say said mean meant find found notice noticed expect expected wish wished "
    "doubt doubted agree agreed decide decided prove proved remember remembered forget forgot "
    "admit admitted claim claimed argue argued insist insisted suggest suggested".split()
)
# "I" as the letter: "the variable i is", "the key I is next to O".
_LETTER_MARKERS = frozenset("the a an variable letter key index vowel capital".split())

# Base -> third-person singular, for verbs whose past differs from the base.
THIRD_PERSON = {
    v: v + "s"
    for v in (
        "like love want need live work play make know think say get take come see eat drink "
        "write speak help walk run swim sing cook drive buy feel look seem enjoy hope prefer "
        "remember understand use visit wait wake wear win listen learn leave meet open pay "
        "sleep start stay stop talk tell travel call bring find give keep begin sit stand "
        "hear lose send spend"
    ).split()
}
THIRD_PERSON |= {
    "go": "goes",
    "study": "studies",
    "try": "tries",
    "watch": "watches",
    "teach": "teaches",
    "finish": "finishes",
    "wash": "washes",
    "miss": "misses",
    "carry": "carries",
    "cry": "cries",
    "fly": "flies",
    "worry": "worries",
}
BASE_OF_THIRD = {third: base for base, third in THIRD_PERSON.items()}


def replace_word(token: Token, wanted: str, message: str, check: str) -> TextError:
    return TextError(
        token.start,
        token.end - token.start,
        message,
        "grammar",
        [match_case(wanted, token.text)],
        check,
    )


def joined(ctx: CheckContext, tokens: tuple[Token, ...], a: int, b: int) -> bool:
    """True when nothing but spaces separates tokens a..b: one clause, one verb group."""
    return all(not ctx.text[tokens[k].end : tokens[k + 1].start].strip() for k in range(a, b))


def is_subject(ctx: CheckContext, tokens: tuple[Token, ...], i: int) -> bool:
    start = tokens[i].start
    if start and ctx.text[start - 1] in _SYMBOLS:
        return False  # a name or an option, not a pronoun: "^I is", "-i does"
    if i == 0 or not joined(ctx, tokens, i - 1, i):
        return True  # the start of a sentence or of a clause after punctuation
    prev = tokens[i - 1]
    if prev.norm in _AUXILIARIES or prev.norm == "n't":
        return False  # "does he", and "Would n't it" as some texts split it
    if tokens[i].norm in ("you", "it") and (
        prev.norm in _OBJECT_CONTEXT or "VBG" in english_tags(prev.norm) or _takes(prev.norm)
    ):
        # "people using it are", "those able to afford it have" (but "in the morning it
        # was" and "I think it were" are checked)
        return False
    if tokens[i].norm == "i" and (prev.norm in _LETTER_MARKERS or prev.text[:1].isupper()):
        return False  # the letter, or a numeral: "Part I is short"
    return True


def _takes(word: str) -> bool:
    """True when the word is only a verb (cefrpy knows it as nothing else) and not one whose
    object is often a clause: a pronoun after it is its object ("afford it", "enjoy it")."""
    tags = english_tags(word)
    return bool(tags) and all(t.startswith("VB") for t in tags) and word not in _CLAUSE_VERBS

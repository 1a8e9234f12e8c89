"""English verb forms: the form of a verb after an auxiliary (rules shared in `grammar.py`).

`verb_forms` (the verb after an auxiliary, with "not", one adverb or, in a question or at
the start of a sentence, a subject pronoun between):
- perfect: "has went" -> "has gone", "had wrote" -> "had written";
- do-support: "didn't went" -> "didn't go", "does she likes" -> "does she like";
- modals: "can swims" -> "can swim", "will went" -> "will go", "must to go" -> "must go"
  (not after "what", "everything", "all", "as" ...: "do what we can to help").
Skipped: words that are also nouns or other verbs ("had rose bushes", "did saw the plank",
"free will goes"), and "do" followed directly by an -s word ("do good works").
"""

from __future__ import annotations

from pipelines.cefr import Token
from pipelines.cefr.lexicon import english_tags
from pipelines.writing.grammar import (
    ADVERBS,
    BASE_OF_THIRD,
    PERSON,
    is_subject,
    joined,
    replace_word,
)
from pipelines.writing.spans import CheckContext, TextError

# Simple past -> (base, past participle) where the two past forms differ.
_IRREGULAR = {
    "went": ("go", "gone"),
    "saw": ("see", "seen"),
    "ate": ("eat", "eaten"),
    "came": ("come", "come"),
    "took": ("take", "taken"),
    "wrote": ("write", "written"),
    "began": ("begin", "begun"),
    "drank": ("drink", "drunk"),
    "did": ("do", "done"),
    "gave": ("give", "given"),
    "knew": ("know", "known"),
    "spoke": ("speak", "spoken"),
    "broke": ("break", "broken"),
    "chose": ("choose", "chosen"),
    "drove": ("drive", "driven"),
    "forgot": ("forget", "forgotten"),
    "froze": ("freeze", "frozen"),
    "grew": ("grow", "grown"),
    "rode": ("ride", "ridden"),
    "ran": ("run", "run"),
    "sang": ("sing", "sung"),
    "swam": ("swim", "swum"),
    "threw": ("throw", "thrown"),
    "wore": ("wear", "worn"),
    "woke": ("wake", "woken"),
    "stole": ("steal", "stolen"),
    "fell": ("fall", "fallen"),
    "flew": ("fly", "flown"),
    "became": ("become", "become"),
    "shook": ("shake", "shaken"),
    "hid": ("hide", "hidden"),
    "mistook": ("mistake", "mistaken"),
}
# Simple pasts that equal their participle: wrong after do-support and modals only.
_PAST_ONLY = {
    "bought": "buy",
    "thought": "think",
    "made": "make",
    "said": "say",
    "told": "tell",
    "got": "get",
    "had": "have",
    "met": "meet",
    "sent": "send",
    "slept": "sleep",
    "brought": "bring",
    "taught": "teach",
    "caught": "catch",
    "heard": "hear",
    "paid": "pay",
    "won": "win",
    "understood": "understand",
    "lost": "lose",
    "spent": "spend",
}
# Past forms that are also nouns or other verbs' bases: never flagged after "did"/modals.
_AMBIGUOUS_AFTER_DO = frozenset({"saw", "fell", "found", "felt", "left", "rose", "ground"})

_PERFECT = frozenset("has have had having hasn't haven't hadn't".split())
_DO_SUPPORT = frozenset("do does did don't doesn't didn't".split())
_MODALS = frozenset(
    "can could will would shall should may might must can't cannot couldn't won't "
    "wouldn't shouldn't mustn't".split()
)
_MODAL_TO = frozenset({"can", "could", "should", "must", "might", "may"})
_NOUN_MARKERS = frozenset(
    "a an the his her my your our their its this that free good ill with all".split()
)


def check_verb_forms(ctx: CheckContext) -> list[TextError]:
    errors = []
    for sentence in ctx.sentences:
        tokens = sentence.tokens
        question = sentence.text.rstrip().endswith("?")
        for i, aux in enumerate(tokens):
            kind = _auxiliary_kind(tokens, i)
            if kind is None:
                continue
            j, asked = _verb_after_auxiliary(tokens, i, may_ask=question or i == 0)
            if j is None or not joined(ctx, tokens, i, j):
                continue
            verb = tokens[j]
            if kind == "modal" and verb.norm == "to" and j == i + 1:
                if aux.norm in _MODAL_TO and not _ends_a_clause(tokens, i):
                    errors.append(
                        TextError(
                            aux.end,
                            verb.end - aux.end,
                            f"No 'to' after '{aux.text}'.",
                            "grammar",
                            [""],
                            "verb_forms",
                        )
                    )
                continue
            if kind == "modal" and aux.text in ("Will", "May") and j == i + 1:
                continue  # a name: "Will went home"
            wanted = _form_after(kind, aux, verb.norm, direct=j == i + 1, asked=asked)
            if wanted is not None:
                what = "the past participle" if kind == "perfect" else "the base form"
                message = f"After '{aux.text}' use {what}: '{wanted}'."
                errors.append(replace_word(verb, wanted, message, "verb_forms"))
        errors += _be_before_base_verb(ctx, tokens)
    return errors


_PRESENT_BE = frozenset({"am", "is", "are"})


def _be_before_base_verb(ctx: CheckContext, tokens: tuple[Token, ...]) -> list[TextError]:
    """ "I am agree" -> "I agree", "she is agree" -> "she agrees": a subject pronoun, a
    present form of "be" and straight after it a word both lexicons know only as a verb's
    base form, whose past participle differs from it ("it is put" is a passive)."""
    errors = []
    for i in range(len(tokens) - 2):
        person = PERSON.get(tokens[i].norm)
        be, verb = tokens[i + 1], tokens[i + 2]
        if person is None or be.norm not in _PRESENT_BE or not joined(ctx, tokens, i, i + 2):
            continue
        if not is_subject(ctx, tokens, i) or not _base_verb_only(verb.norm):
            continue
        wanted = verb.norm + ("s" if person == "3s" else "")
        if person == "3s":
            from lemminflect import getInflection

            wanted = (getInflection(verb.norm, "VBZ") or (wanted,))[0]
        errors.append(
            TextError(
                be.start,
                verb.end - be.start,
                f"'{verb.text}' is a verb: '{be.text} {verb.text}' -> '{wanted}'.",
                "grammar",
                [wanted],
                "verb_forms",
            )
        )
    return errors


def _base_verb_only(word: str) -> bool:
    from lemminflect import getAllLemmas, getInflection

    if english_tags(word) != {"VB"} or getAllLemmas(word) != {"VERB": (word,)}:
        return False
    return (getInflection(word, "VBN") or (word,))[0] != word


# "do what we can to help": the modal ends a relative clause and "to" starts a purpose.
_WHAT = frozenset("what whatever everything anything all as best".split())


def _ends_a_clause(tokens: tuple[Token, ...], i: int) -> bool:
    return bool({t.norm for t in tokens[max(0, i - 3) : i]} & _WHAT)


def _auxiliary_kind(tokens: tuple[Token, ...], i: int) -> str | None:
    word = tokens[i].norm
    if word in _PERFECT or word.endswith("'ve"):
        return "perfect"
    if word in _DO_SUPPORT:
        return "do"
    if word in _MODALS:
        if i and tokens[i - 1].norm in _NOUN_MARKERS:
            return None  # "a can", "free will", "with all his might"
        if tokens[i].text == "May" and i:
            return None  # the month
        return "modal"
    return None


def _verb_after_auxiliary(
    tokens: tuple[Token, ...], i: int, *, may_ask: bool
) -> tuple[int | None, bool]:
    """The verb an auxiliary governs: past "not", one adverb and, in a question, the subject."""
    j, asked = i + 1, False
    if may_ask and j < len(tokens) and tokens[j].norm in PERSON:
        j, asked = j + 1, True
    if j < len(tokens) and tokens[j].norm == "not":
        j += 1
    if j < len(tokens) and tokens[j].norm in ADVERBS:
        j += 1
    return (j, asked) if j < len(tokens) else (None, asked)


def _form_after(kind: str, aux: Token, verb: str, *, direct: bool, asked: bool) -> str | None:
    if kind == "perfect":
        participle = _IRREGULAR[verb][1] if verb in _IRREGULAR else verb
        return participle if participle != verb else None
    if verb in _AMBIGUOUS_AFTER_DO:
        return None
    if verb in _IRREGULAR:
        return _IRREGULAR[verb][0]
    if verb in _PAST_ONLY:
        return _PAST_ONLY[verb]
    if verb in BASE_OF_THIRD:
        # "we do drinks on Fridays": a bare -s word straight after a positive "do" may be a
        # noun; after a negative, a modal or a question's subject it is the verb.
        negative = aux.norm.endswith("n't") or aux.norm == "cannot"
        if kind == "do" and direct and not negative and not asked:
            return None
        return BASE_OF_THIRD[verb]
    return None

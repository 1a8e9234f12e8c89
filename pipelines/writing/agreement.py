"""English verb agreement: a verb agrees with its subject (rules shared in `grammar.py`).

`agreement` (a subject pronoun and the verb after it, one frequency adverb allowed between):
- be: "I is" -> "am", "he are" -> "is", "they was" -> "were", "she were" -> "was" (not after
  "if", "as", "wish", ... where "were" is the subjunctive);
- have and do: "he have" -> "has", "they has" -> "have", "she don't" -> "doesn't";
- the third-person -s: "he like" -> "likes", for "he" and "she" and a list of common verbs
  whose past tense differs from the base ("he put" is a correct past); and no -s after the
  other pronouns: "I likes" -> "like", "we plays" -> "play";
- noun subjects opening a clause with a determiner, when cefrpy knows the word only as a
  singular or only as a plural noun: "the students is" -> "are", "a teacher have" -> "has";
  the third-person -s after a possessive only ("my brother like" -> "likes"), since "the main
  help file" shows how often "the" + word + verb is an adjective and a compound noun.
  Collective nouns ("my family are"), nouns the same in the plural ("the aircraft were")
  and "-ics" words ("physics is") are left alone, and so is a determiner after a verb ("I
  saw the dog run") or after "that" following "important", "suggest", ... (the
  subjunctive), "the" + an adjective with a plural verb ("the rich have", "the homeless
  are"), and a verb followed by "of" ("their expert use of beads"). Irregular plurals are
  plural whatever cefrpy's tags say ("your teeth are").
Skipped: "he", "she" or "it" a word or two after "insist", "suggest", ... (the subjunctive:
"insisted she stay"); "it" and "you" after an -ing verb ("people using it are");
a pronoun after an auxiliary or a verb that takes an object and a bare verb ("does
he like", "let it go", "made her stay"); "he", "she", "it" after "and"/"or"/"nor" ("Tom and
she like"; but ", and" joins clauses, so "late, and she don't" is checked), and "I" there
before a form of "be" ("you and I are"); "you" and "it" after a preposition or a verb ("thank
you is", "items from it are") or a word cefrpy knows only as a verb, unless its object is
often a clause ("those who can afford it have"; "I think it were" is checked); "I" as a
letter or numeral ("the variable i is", "Part I is") or glued to a symbol ("^I is", "-i
does").
"""

from __future__ import annotations

from pipelines.cefr import Token
from pipelines.cefr.lexicon import english_tags
from pipelines.writing.grammar import (
    ADVERBS,
    BASE_OF_THIRD,
    PERSON,
    THIRD_PERSON,
    is_subject,
    joined,
    replace_word,
)
from pipelines.writing.spans import CheckContext, TextError

_BE = {"1s": "am", "3s": "is", "pl": "are"}
_BE_PAST = {"1s": "was", "3s": "was", "pl": "were"}
_HAVE = {"1s": "have", "3s": "has", "pl": "have"}
_DO = {"1s": "do", "3s": "does", "pl": "do"}
_DONT = {"1s": "don't", "3s": "doesn't", "pl": "don't"}
# Each table's forms, so a verb finds the table it belongs to.
_AGREEMENT_TABLES = {
    form: table for table in (_BE, _BE_PAST, _HAVE, _DO, _DONT) for form in table.values()
}
_COORDINATORS = frozenset({"and", "or", "nor"})
_BE_FORMS = frozenset({"am", "is", "are", "was", "were"})
_SUBJUNCTIVE = frozenset(
    "if as wish wished though unless suppose supposing imagine whether rather only".split()
)

# A noun subject: a determiner that starts a clause, a noun cefrpy tags only as a noun, the verb.
_DETERMINERS = {
    "the": None,
    "my": None,
    "your": None,
    "his": None,
    "her": None,
    "our": None,
    "their": None,
    "this": "3s",
    "that": "3s",
    "a": "3s",
    "an": "3s",
    "every": "3s",
    "each": "3s",
    "these": "pl",
    "those": "pl",
}
# Conjunctions only: "before", "after", "since" and "until" are prepositions as often.
_CLAUSE_OPENERS = frozenset(
    "but because when if so that while although though unless whereas once".split()
)
# Base verbs take the -s after a possessive only ("my brother like"): after "the" or "a" the
# pair is too often an adjective and a compound noun ("the main help file", "a region start").
_POSSESSIVES = frozenset({"my", "your", "his", "her", "our", "their"})
_MANDATIVE = frozenset(
    "important essential necessary vital crucial suggest suggested suggests insist insisted "
    "recommend recommended demand demanded require required request requested propose "
    "proposed ask asked".split()
)
# Nouns that take a plural verb as readily as a singular one ("my family are").
_COLLECTIVE = frozenset(
    "family team staff police government class group crowd audience committee couple "
    "majority company public band crew jury army media data community handful".split()
)
_SAME_IN_PLURAL = frozenset("aircraft headquarters sheep deer fish species series means".split())
_IRREGULAR_PLURALS = frozenset("people children men women teeth feet mice geese".split())
_NOT_NOUN_TAGS = frozenset(
    {
        "VB",
        "VBD",
        "VBG",
        "VBN",
        "VBP",
        "VBZ",
        "IN",
        "CC",
        "MD",
        "PRP",
        "RB",
        "DT",
        "WDT",
        "WP",
        "TO",
        "CD",
        "UH",
    }
)
# Words after the verb that show it was the end of a compound noun ("the bus stop is").
_VERB_FOLLOWERS = frozenset(
    "is are was were has have had will would can could should must may might does do did "
    "doesn't don't didn't isn't aren't wasn't weren't".split()
)


def check_agreement(ctx: CheckContext) -> list[TextError]:
    errors = []
    for sentence in ctx.sentences:
        tokens = sentence.tokens
        for i, subject in enumerate(tokens):
            person = PERSON.get(subject.norm)
            if person is None or not is_subject(ctx, tokens, i):
                continue
            j = i + 2 if i + 1 < len(tokens) and tokens[i + 1].norm in ADVERBS else i + 1
            if j >= len(tokens) or not joined(ctx, tokens, i, j):
                continue
            if _coordinated(ctx, tokens, i) and (
                person == "3s" or (person == "1s" and tokens[j].norm in _BE_FORMS)
            ):
                # "Tom and she like", "you and I are": the subject may be the pair. With "we",
                # "they" and "you" the pair takes the same verb, so "and they was" is checked.
                continue
            if person == "3s" and {t.norm for t in tokens[max(0, i - 2) : i]} & _MANDATIVE:
                continue  # the subjunctive: "insisted she stay", "suggested he live"
            wanted = _agreeing_form(tokens, i, j, person)
            if wanted is not None:
                message = f"After '{subject.text}' the verb is '{wanted}'."
                errors.append(replace_word(tokens[j], wanted, message, "agreement"))
        errors += _noun_subject_errors(ctx, tokens)
    return errors


def _noun_subject_errors(ctx: CheckContext, tokens: tuple[Token, ...]) -> list[TextError]:
    """ "My brother like football" -> "likes", "The students is" -> "are"."""
    errors = []
    for i in range(len(tokens) - 2):
        det, noun, verb = tokens[i : i + 3]
        if det.norm not in _DETERMINERS or not joined(ctx, tokens, i, i + 2):
            continue
        if not _opens_clause(ctx, tokens, i):
            continue
        number = _noun_number(noun.norm)
        if number is None or _DETERMINERS[det.norm] not in (None, number):
            continue
        following = tokens[i + 3] if i + 3 < len(tokens) else None
        if (
            following is not None
            and joined(ctx, tokens, i + 2, i + 3)
            and (
                following.norm in _VERB_FOLLOWERS
                or following.norm in BASE_OF_THIRD
                or following.norm == "not"
            )
        ):
            continue  # "the bus stop is near", "the school play starts", "need not"
        if _subjunctive_were(tokens, i, verb.norm):
            continue  # "if the student were here"
        if (
            det.norm == "the"
            and number == "3s"
            and "JJ" in english_tags(noun.norm)
            and (verb.norm in ("are", "were", "have", "do", "don't"))
        ):
            continue  # an adjective as a plural noun: "the rich have", "the homeless are"
        if following is not None and following.norm == "of":
            continue  # "their expert use of beads": the verb is a noun
        wanted = _noun_agreeing_form(number, verb.norm, possessive=det.norm in _POSSESSIVES)
        if wanted is not None:
            message = f"After '{det.text} {noun.text}' the verb is '{wanted}'."
            errors.append(replace_word(verb, wanted, message, "agreement"))
    return errors


def _opens_clause(ctx: CheckContext, tokens: tuple[Token, ...], i: int) -> bool:
    if i == 0 or not joined(ctx, tokens, i - 1, i):
        return True
    if tokens[i - 1].norm not in _CLAUSE_OPENERS:
        return False  # "I saw the dog run": an object, not a subject
    if tokens[i - 1].norm == "that":
        return not {t.norm for t in tokens[max(0, i - 5) : i - 1]} & _MANDATIVE
    return True


def _noun_number(word: str) -> str | None:
    """3s or pl for a word cefrpy knows only as a noun (or adjective); None when unsure."""
    if word in _COLLECTIVE or word.endswith("ics") or word in _SAME_IN_PLURAL:
        return None  # "my family are"; "the semantics is", "physics is"; "the aircraft were"
    if word in _IRREGULAR_PLURALS:
        return "pl"  # cefrpy tags "teeth" as a singular noun
    tags = english_tags(word)
    if not tags or tags & _NOT_NOUN_TAGS:
        return None
    if "NN" in tags and "NNS" not in tags:
        return "3s"
    if "NNS" in tags and "NN" not in tags:
        return "pl"
    return None


def _noun_agreeing_form(number: str, verb: str, *, possessive: bool) -> str | None:
    if verb in _AGREEMENT_TABLES:
        return _auxiliary_agreement(number, verb)
    if not possessive:
        return None
    return THIRD_PERSON.get(verb) if number == "3s" else BASE_OF_THIRD.get(verb)


def _subjunctive_were(tokens: tuple[Token, ...], subject: int, verb: str) -> bool:
    """ "were" after "if", "as", "wish", ... before its subject: "if I were", "as it were"."""
    before = {t.norm for t in tokens[max(0, subject - 2) : subject]}
    return verb == "were" and bool(before & _SUBJUNCTIVE)


def _auxiliary_agreement(person: str, verb: str) -> str | None:
    """The form of be, have or do that agrees with the person, when the verb is another."""
    wanted = _AGREEMENT_TABLES[verb][person]
    return wanted if wanted != verb else None


def _coordinated(ctx: CheckContext, tokens: tuple[Token, ...], i: int) -> bool:
    """True when the pronoun may be the second half of a pair ("Tom and she"). A comma
    before the "and" joins two clauses instead ("I was late, and she don't care")."""
    if i == 0 or tokens[i - 1].norm not in _COORDINATORS or not joined(ctx, tokens, i - 1, i):
        return False
    return i < 2 or not any(
        mark in ctx.text[tokens[i - 2].end : tokens[i - 1].start] for mark in ",;"
    )


def _agreeing_form(tokens: tuple[Token, ...], i: int, j: int, person: str) -> str | None:
    verb = tokens[j].norm
    if verb in _AGREEMENT_TABLES:
        return None if _subjunctive_were(tokens, i, verb) else _auxiliary_agreement(person, verb)
    following = tokens[j + 1].norm if j + 1 < len(tokens) else ""
    if verb == "need" and following == "not":
        return None  # "need" as a modal: "she need not worry"
    if tokens[i].norm in ("he", "she") and verb in THIRD_PERSON:
        return THIRD_PERSON[verb]
    if person != "3s" and j == i + 1 and verb in BASE_OF_THIRD:
        return BASE_OF_THIRD[verb]
    return None

"""English verb agreement and verb forms: a small rule set tuned for precision over recall.

A learner's text is better served by a few errors reported surely than by many guesses, so
each rule looks only at neighbouring words inside one sentence and steps aside wherever the
same words can be correct.

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
you is", "items from it are"); "I" as a letter or numeral ("the variable i is", "Part I is")
or glued to a symbol ("^I is", "-i does").

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
from pipelines.writing.spans import CheckContext, TextError, match_case

_PERSON = {"i": "1s", "he": "3s", "she": "3s", "it": "3s", "we": "pl", "you": "pl", "they": "pl"}
_BE = {"1s": "am", "3s": "is", "pl": "are"}
_BE_PAST = {"1s": "was", "3s": "was", "pl": "were"}
_HAVE = {"1s": "have", "3s": "has", "pl": "have"}
_DO = {"1s": "do", "3s": "does", "pl": "do"}
_DONT = {"1s": "don't", "3s": "doesn't", "pl": "don't"}
# Each table's forms, so a verb finds the table it belongs to.
_AGREEMENT_TABLES = {
    form: table for table in (_BE, _BE_PAST, _HAVE, _DO, _DONT) for form in table.values()
}

_ADVERBS = frozenset(
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
_COORDINATORS = frozenset({"and", "or", "nor"})
_BE_FORMS = frozenset({"am", "is", "are", "was", "were"})
_SUBJUNCTIVE = frozenset(
    "if as wish wished though unless suppose supposing imagine whether rather only".split()
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
# "I" as the letter: "the variable i is", "the key I is next to O".
_LETTER_MARKERS = frozenset("the a an variable letter key index vowel capital".split())

# Base -> third-person singular, for verbs whose past differs from the base.
_THIRD_PERSON = {
    v: v + "s"
    for v in (
        "like love want need live work play make know think say get take come see eat drink "
        "write speak help walk run swim sing cook drive buy feel look seem enjoy hope prefer "
        "remember understand use visit wait wake wear win listen learn leave meet open pay "
        "sleep start stay stop talk tell travel call bring find give keep begin sit stand "
        "hear lose send spend"
    ).split()
}
_THIRD_PERSON |= {
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
_BASE_OF_THIRD = {third: base for base, third in _THIRD_PERSON.items()}

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
            person = _PERSON.get(subject.norm)
            if person is None or not _is_subject(ctx, tokens, i):
                continue
            j = i + 2 if i + 1 < len(tokens) and tokens[i + 1].norm in _ADVERBS else i + 1
            if j >= len(tokens) or not _joined(ctx, tokens, i, j):
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
                errors.append(_replace(tokens[j], wanted, message, "agreement"))
        errors += _noun_subject_errors(ctx, tokens)
    return errors


def _noun_subject_errors(ctx: CheckContext, tokens: tuple[Token, ...]) -> list[TextError]:
    """ "My brother like football" -> "likes", "The students is" -> "are"."""
    errors = []
    for i in range(len(tokens) - 2):
        det, noun, verb = tokens[i : i + 3]
        if det.norm not in _DETERMINERS or not _joined(ctx, tokens, i, i + 2):
            continue
        if not _opens_clause(ctx, tokens, i):
            continue
        number = _noun_number(noun.norm)
        if number is None or _DETERMINERS[det.norm] not in (None, number):
            continue
        following = tokens[i + 3] if i + 3 < len(tokens) else None
        if (
            following is not None
            and _joined(ctx, tokens, i + 2, i + 3)
            and (
                following.norm in _VERB_FOLLOWERS
                or following.norm in _BASE_OF_THIRD
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
            errors.append(_replace(verb, wanted, message, "agreement"))
    return errors


def _opens_clause(ctx: CheckContext, tokens: tuple[Token, ...], i: int) -> bool:
    if i == 0 or not _joined(ctx, tokens, i - 1, i):
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
    return _THIRD_PERSON.get(verb) if number == "3s" else _BASE_OF_THIRD.get(verb)


def _subjunctive_were(tokens: tuple[Token, ...], subject: int, verb: str) -> bool:
    """ "were" after "if", "as", "wish", ... before its subject: "if I were", "as it were"."""
    before = {t.norm for t in tokens[max(0, subject - 2) : subject]}
    return verb == "were" and bool(before & _SUBJUNCTIVE)


def _auxiliary_agreement(person: str, verb: str) -> str | None:
    """The form of be, have or do that agrees with the person, when the verb is another."""
    wanted = _AGREEMENT_TABLES[verb][person]
    return wanted if wanted != verb else None


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
            if j is None or not _joined(ctx, tokens, i, j):
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
                errors.append(_replace(verb, wanted, message, "verb_forms"))
        errors += _be_before_base_verb(ctx, tokens)
    return errors


_PRESENT_BE = frozenset({"am", "is", "are"})


def _be_before_base_verb(ctx: CheckContext, tokens: tuple[Token, ...]) -> list[TextError]:
    """ "I am agree" -> "I agree", "she is agree" -> "she agrees": a subject pronoun, a
    present form of "be" and straight after it a word both lexicons know only as a verb's
    base form, whose past participle differs from it ("it is put" is a passive)."""
    errors = []
    for i in range(len(tokens) - 2):
        person = _PERSON.get(tokens[i].norm)
        be, verb = tokens[i + 1], tokens[i + 2]
        if person is None or be.norm not in _PRESENT_BE or not _joined(ctx, tokens, i, i + 2):
            continue
        if not _is_subject(ctx, tokens, i) or not _base_verb_only(verb.norm):
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


def _replace(token: Token, wanted: str, message: str, check: str) -> TextError:
    return TextError(
        token.start,
        token.end - token.start,
        message,
        "grammar",
        [match_case(wanted, token.text)],
        check,
    )


def _joined(ctx: CheckContext, tokens: tuple[Token, ...], a: int, b: int) -> bool:
    """True when nothing but spaces separates tokens a..b: one clause, one verb group."""
    return all(not ctx.text[tokens[k].end : tokens[k + 1].start].strip() for k in range(a, b))


def _is_subject(ctx: CheckContext, tokens: tuple[Token, ...], i: int) -> bool:
    start = tokens[i].start
    if start and ctx.text[start - 1] in _SYMBOLS:
        return False  # a name or an option, not a pronoun: "^I is", "-i does"
    if i == 0 or not _joined(ctx, tokens, i - 1, i):
        return True  # the start of a sentence or of a clause after punctuation
    prev = tokens[i - 1]
    if prev.norm in _AUXILIARIES or prev.norm == "n't":
        return False  # "does he", and "Would n't it" as some texts split it
    if tokens[i].norm in ("you", "it") and (
        prev.norm in _OBJECT_CONTEXT or "VBG" in english_tags(prev.norm)
    ):
        return False  # "people using it are" (but "in the morning it was" is checked)
    if tokens[i].norm == "i" and (prev.norm in _LETTER_MARKERS or prev.text[:1].isupper()):
        return False  # the letter, or a numeral: "Part I is short"
    return True


def _coordinated(ctx: CheckContext, tokens: tuple[Token, ...], i: int) -> bool:
    """True when the pronoun may be the second half of a pair ("Tom and she"). A comma
    before the "and" joins two clauses instead ("I was late, and she don't care")."""
    if i == 0 or tokens[i - 1].norm not in _COORDINATORS or not _joined(ctx, tokens, i - 1, i):
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
    if tokens[i].norm in ("he", "she") and verb in _THIRD_PERSON:
        return _THIRD_PERSON[verb]
    if person != "3s" and j == i + 1 and verb in _BASE_OF_THIRD:
        return _BASE_OF_THIRD[verb]
    return None


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
    if may_ask and j < len(tokens) and tokens[j].norm in _PERSON:
        j, asked = j + 1, True
    if j < len(tokens) and tokens[j].norm == "not":
        j += 1
    if j < len(tokens) and tokens[j].norm in _ADVERBS:
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
    if verb in _BASE_OF_THIRD:
        # "we do drinks on Fridays": a bare -s word straight after a positive "do" may be a
        # noun; after a negative, a modal or a question's subject it is the verb.
        negative = aux.norm.endswith("n't") or aux.norm == "cannot"
        if kind == "do" and direct and not negative and not asked:
            return None
        return _BASE_OF_THIRD[verb]
    return None

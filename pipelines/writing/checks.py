"""Offline checks that find real errors in a learner's text, each as a span of the text.

Every check is cheap and deterministic. A check that cannot run for a language (no
dictionary, no letter case) says so instead of silently passing.
"""

from __future__ import annotations

import re

from pipelines.cefr import Token, zipf
from pipelines.writing.agreement import check_agreement
from pipelines.writing.confusions import check_confusions
from pipelines.writing.morphology import check_irregular_forms
from pipelines.writing.names import check_names
from pipelines.writing.number import check_number
from pipelines.writing.spans import (
    APOSTROPHE_FIXES,
    Check,
    CheckContext,
    TextError,
    match_case,
)
from pipelines.writing.spelling import KNOWN_ZIPF, SPELLING_LANGUAGES, check_spelling
from pipelines.writing.unknown_words import english_word
from pipelines.writing.verb_forms import check_verb_forms

FINAL_PUNCTUATION = ".!?…。！？\"'”’»)"
# Words that start with a vowel letter but a consonant sound, and silent-h words.
_A_BEFORE_VOWEL_LETTER = (
    "union",
    "uniq",
    "unit",
    "univ",
    "unif",
    "unic",
    "unil",
    "unis",
    "unix",
    "use",
    "usa",
    "usu",
    "uti",
    "uro",
    "eu",
    "one",
    "once",
    "ufo",
)
_AN_BEFORE_CONSONANT_LETTER = ("hour", "honest", "honor", "honour", "heir")
_REPEAT_ALLOWED = {"en": {"had", "that"}, "de": {"die", "der", "das"}, "nl": {"die"}}
_CASELESS = frozenset({"ja", "zh", "ko", "ar", "fa", "he", "hi", "bn", "ta", "ur"})


def available_checks(language: str) -> tuple[dict[str, Check], dict[str, str]]:
    """The checks that can run for a language, and why the others cannot."""
    checks: dict[str, Check] = {}
    skipped: dict[str, str] = {}
    # Where two checks report the same words the first one's error is kept, so the English
    # checks that know what a misspelling was meant to be run before the dictionary lookup.
    if language == "en":
        checks["irregular_forms"] = check_irregular_forms
        checks["confusions"] = check_confusions
    else:
        for name in ("irregular_forms", "confusions"):
            skipped[name] = "English only"
    if language in SPELLING_LANGUAGES:
        checks["spelling"] = check_spelling
    else:
        skipped["spelling"] = f"no offline spelling dictionary for {language}"
    if language == "ja":
        skipped["repeated_words"] = "Japanese reduplication is not an error"
    else:
        checks["repeated_words"] = check_repeated_words
    if language in _CASELESS:
        skipped["capitalisation"] = f"{language} has no letter case"
    else:
        checks["capitalisation"] = check_capitalisation
    if language == "en":
        checks["names"] = check_names
    else:
        skipped["names"] = "English only"
    checks["spacing"] = check_spacing
    checks["final_punctuation"] = check_final_punctuation
    if language == "en":
        checks["articles_a_an"] = check_a_an
        checks["contractions"] = check_contractions
        checks["agreement"] = check_agreement
        checks["verb_forms"] = check_verb_forms
        checks["number"] = check_number
    else:
        for name in ("articles_a_an", "contractions", "agreement", "verb_forms", "number"):
            skipped[name] = "English only"
    return checks, skipped


def check_contractions(ctx: CheckContext) -> list[TextError]:
    errors = []
    for token in ctx.tokens:
        fix = APOSTROPHE_FIXES.get(token.norm)
        if fix:
            errors.append(
                TextError(
                    token.start,
                    token.end - token.start,
                    f"Write '{fix}' with its apostrophe."
                    if "'" in fix
                    else f"Write '{fix}' as two words.",
                    "spelling",
                    [fix if fix[0] == "I" else match_case(fix, token.text)],
                    "contractions",
                )
            )
    return errors


def check_repeated_words(ctx: CheckContext) -> list[TextError]:
    allowed = _REPEAT_ALLOWED.get(ctx.language, set())
    errors = []
    for sentence in ctx.sentences:
        for prev, cur in zip(sentence.tokens, sentence.tokens[1:], strict=False):
            between = ctx.text[prev.end : cur.start]
            if prev.norm == cur.norm and between.strip() == "" and prev.norm not in allowed:
                errors.append(
                    TextError(
                        prev.end,
                        cur.end - prev.end,
                        f"'{cur.text}' is repeated.",
                        "grammar",
                        [""],
                        "repeated_words",
                    )
                )
    return errors


def check_capitalisation(ctx: CheckContext) -> list[TextError]:
    errors = []
    previous_end: int | None = None
    for sentence in ctx.sentences:
        follows_full_stop = previous_end is None or ctx.text[previous_end - 1] in FINAL_PUNCTUATION
        previous_end = sentence.end
        first = next((i for i, ch in enumerate(sentence.text) if ch.isalpha()), None)
        if first is None or not follows_full_stop or not sentence.tokens:
            continue
        token = sentence.tokens[0]
        letter = sentence.text[first]
        if token.start == sentence.start + first and letter.islower() and letter.upper() != letter:
            errors.append(
                TextError(
                    token.start,
                    len(token.text),
                    "A sentence starts with a capital letter.",
                    "capitalisation",
                    [token.text[0].upper() + token.text[1:]],
                    "capitalisation",
                )
            )
    if ctx.language == "en":
        errors += [
            TextError(
                t.start,
                len(t.text),
                "The pronoun 'I' is always a capital letter.",
                "capitalisation",
                ["I" + t.text[1:]],
                "capitalisation",
            )
            for t in ctx.tokens
            if t.text in ("i", "i'm", "i've", "i'll", "i'd", "i’m")
        ]
    return errors


def check_spacing(ctx: CheckContext) -> list[TextError]:
    errors = []
    for m in re.finditer(r"(?<=\S)[ \t]{2,}(?=\S)", ctx.text):
        errors.append(
            TextError(
                m.start(), len(m.group()), "Use one space between words.", "style", [" "], "spacing"
            )
        )
    if ctx.language != "ja":
        for m in re.finditer(r"(?<=\w)[ \t]+(?=[,.])(?!\.\.)", ctx.text):
            errors.append(
                TextError(
                    m.start(),
                    len(m.group()),
                    "No space before a comma or full stop.",
                    "punctuation",
                    [""],
                    "spacing",
                )
            )
        for m in re.finditer(r"(?:(?<=[^\W\d_]{2})|(?<= ))([.!?])([^\W\d_]{2,})", ctx.text):
            chunk = _chunk_around(ctx.text, m.start())
            # "e.g.", "U.S.", "example.com" and e-mail addresses are not missing a space.
            if chunk.count(".") > 1 or any(c in chunk for c in "/@") or _is_domain(chunk):
                continue
            errors.append(
                TextError(
                    m.start(),
                    1,
                    f"Put a space after '{m.group(1)}'.",
                    "punctuation",
                    [m.group(1) + " "],
                    "spacing",
                )
            )
        for m in re.finditer(r"(?:(?<=[^\W\d_])|(?<= ))([,;])(?=[^\W\d_])", ctx.text):
            errors.append(
                TextError(
                    m.start(),
                    1,
                    f"Put a space after '{m.group(1)}'.",
                    "punctuation",
                    [m.group(1) + " "],
                    "spacing",
                )
            )
    return errors


def check_final_punctuation(ctx: CheckContext) -> list[TextError]:
    stripped = ctx.text.rstrip()
    if not ctx.sentences or not stripped or stripped[-1] in FINAL_PUNCTUATION:
        return []
    # The fix is shown on the whole last word ("friends" -> "friends."), which a learner
    # can read; in scripts without spaces, on the last character.
    end = len(stripped)
    mark = "。" if ctx.language == "ja" else "."
    last = ctx.sentences[-1].tokens[-1] if ctx.sentences[-1].tokens else None
    if ctx.language in _NO_SPACES:
        start = end - 1
    elif last is not None and last.end == end:
        start = last.start
    else:
        start = _chunk_start(stripped, end)
    return [
        TextError(
            start,
            end - start,
            "The text should end with punctuation.",
            "punctuation",
            [stripped[start:end] + mark],
            "final_punctuation",
        )
    ]


_NO_SPACES = frozenset({"ja", "zh"})


def _chunk_start(text: str, end: int) -> int:
    start = end
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    return start


def check_a_an(ctx: CheckContext) -> list[TextError]:
    errors = []
    for sentence in ctx.sentences:
        for art, nxt in zip(sentence.tokens, sentence.tokens[1:], strict=False):
            if art.norm not in ("a", "an") or ctx.text[art.end : nxt.start].strip():
                continue
            word = nxt.norm
            if _letters_or_symbols(ctx.text, art, nxt) or not _known_sound(word):
                continue
            vowel_sound = word[0] in "aeiou"
            if word.startswith(_A_BEFORE_VOWEL_LETTER):
                vowel_sound = False
            if word.startswith(_AN_BEFORE_CONSONANT_LETTER):
                vowel_sound = True
            wanted = "an" if vowel_sound else "a"
            if art.norm != wanted:
                errors.append(
                    TextError(
                        art.start,
                        len(art.text),
                        f"Use '{wanted}' before '{nxt.text}'.",
                        "grammar",
                        [match_case(wanted, art.text)],
                        "articles_a_an",
                    )
                )
    return errors


# Letters whose names start with a vowel sound: "an F", "an MS-DOS", "an xterm", "an ssh".
_VOWEL_NAMED_LETTERS = "fhlmnrsx"


def _known_sound(word: str) -> bool:
    """True when the word (its first part, if hyphenated) is in the learner's dictionary or
    WordNet, or wordfreq knows it well: the article follows the sound, and an unknown word's
    sound is unknown: a name in code ("an rpath", said "ar-path"), another language's word
    ("Ding an sich": SCOWL's largest lists hold "sich", but no learner's dictionary does)."""
    head = word.split("-")[0].replace("’", "'")
    return english_word(head) or zipf(head, "en") >= KNOWN_ZIPF


def _letters_or_symbols(text: str, art: Token, nxt: Token) -> bool:
    """True where the article or the next word is read letter by letter, not as a word."""
    if art.start and text[art.start - 1].isalnum():
        return True  # part of a name: "expr1a"
    if text[: art.start].rstrip().lower().endswith((" the", " an")):
        return True  # the letter: "where the a is just an a"
    if art.text == "A" and text[: art.start].rstrip()[-1:] not in ("", *FINAL_PUNCTUATION):
        return True  # the letter mid-sentence: "script A imports", "Influenza A Outbreak"
    if nxt.norm in ("or", "and") or len(nxt.text) == 1:
        return True  # letters named: "contains a or A", "an X server", "just an a"
    head = nxt.text.split("-")[0]
    if head.isupper():
        return True  # acronyms follow their letter names ("an MBA", "a UN report", "a U-turn")
    word = nxt.norm
    if word[0] in _VOWEL_NAMED_LETTERS and not any(c in "aeiouy" for c in word[1:3]):
        return True  # initialisms said as letters: "an ftp transfer", "an ssh connection"
    return word[0] == "x" and len(word) > 1 and word[1] not in "aeiouy"  # "an xterm"


def _chunk_around(text: str, pos: int) -> str:
    start = pos
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    end = pos
    while end < len(text) and not text[end].isspace():
        end += 1
    return text[start:end]


def _is_domain(chunk: str) -> bool:
    tail = chunk.rsplit(".", 1)[-1].lower().strip(",;:!?)")
    return tail in {"com", "org", "net", "edu", "gov", "io", "co", "uk", "de", "fr", "es", "jp"}

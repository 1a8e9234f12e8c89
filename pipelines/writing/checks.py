"""Offline checks that find real errors in a learner's text, each as a span of the text.

Every check is cheap and deterministic. A check that cannot run for a language (no
dictionary, no letter case) says so instead of silently passing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from pipelines.cefr import Sentence, Token, zipf

# A word wordfreq has seen this often is accepted even when the spelling dictionary lacks it
# (regional spellings such as "colour", "organise"). Common misspellings sit below: in
# wordfreq's English list "teh" is 3.04, "definately" 2.87, "recieve" 2.75.
KNOWN_ZIPF = 3.3
MAX_SUGGESTED = 50  # distinct misspellings we compute replacements for (edit distance 2 is slow)
SPELLING_LANGUAGES = frozenset({"ar", "de", "en", "es", "eu", "fa", "fr", "it", "lv", "nl",
                                "pt", "ru"})  # fmt: skip
FINAL_PUNCTUATION = ".!?…。！？\"'”’»)"
# English contractions written without the apostrophe. "cant", "wont", "its", "lets",
# "were", "shell", "ill" are real words, so they are not listed.
_APOSTROPHE_FIXES = {
    "dont": "don't", "doesnt": "doesn't", "didnt": "didn't", "isnt": "isn't",
    "arent": "aren't", "wasnt": "wasn't", "werent": "weren't", "havent": "haven't",
    "hasnt": "hasn't", "hadnt": "hadn't", "couldnt": "couldn't", "wouldnt": "wouldn't",
    "shouldnt": "shouldn't", "im": "I'm", "ive": "I've", "youre": "you're",
    "theyre": "they're", "thats": "that's", "theres": "there's", "whats": "what's",
    "alot": "a lot",
}  # fmt: skip
# Words that start with a vowel letter but a consonant sound, and silent-h words.
_A_BEFORE_VOWEL_LETTER = ("uni", "use", "usu", "uti", "uro", "eu", "one", "once", "ufo")
_AN_BEFORE_CONSONANT_LETTER = ("hour", "honest", "honor", "honour", "heir")
_REPEAT_ALLOWED = {"en": {"had", "that"}, "de": {"die", "der", "das"}, "nl": {"die"}}
_CASELESS = frozenset({"ja", "zh", "ko", "ar", "fa", "he", "hi", "bn", "ta", "ur"})


@dataclass(frozen=True)
class TextError:
    offset: int
    length: int
    message: str
    category: str  # spelling, grammar, punctuation, capitalisation, word_choice, style, other
    replacements: list[str] = field(default_factory=list)
    check: str = ""
    source: str = "offline"


@dataclass(frozen=True)
class CheckContext:
    text: str
    language: str
    sentences: list[Sentence]

    @property
    def tokens(self) -> list[Token]:
        return [t for s in self.sentences for t in s.tokens]


Check = Callable[[CheckContext], list[TextError]]


def available_checks(language: str) -> tuple[dict[str, Check], dict[str, str]]:
    """The checks that can run for a language, and why the others cannot."""
    checks: dict[str, Check] = {}
    skipped: dict[str, str] = {}
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
    checks["spacing"] = check_spacing
    checks["final_punctuation"] = check_final_punctuation
    if language == "en":
        checks["articles_a_an"] = check_a_an
        checks["contractions"] = check_contractions
    else:
        skipped["articles_a_an"] = "English only"
        skipped["contractions"] = "English only"
    return checks, skipped


def check_spelling(ctx: CheckContext) -> list[TextError]:
    """Dictionary lookup with a frequency check, so rare but real word forms pass.

    A word the spelling dictionary lacks is an error when (in this order): one added accent
    turns it into a dictionary word ("tambien" -> "también"); wordfreq has never seen it; or
    a dictionary word one or two edits away is at least 10 times (1.5 Zipf) more frequent
    ("famlia" -> "familia"). Otherwise it is accepted: the dictionaries miss many inflected
    forms ("nadamos"), which are rare but not wrong. Words wordfreq knows well (Zipf 3.3 or
    more) are accepted unless the accent rule applies.
    """
    spell = _spellchecker(ctx.language)
    errors: list[TextError] = []
    budget = [MAX_SUGGESTED]
    sentence_starts = {s.tokens[0].start for s in ctx.sentences if s.tokens}
    for token in ctx.tokens:
        for word, start in _word_parts(token):
            if _skip(word, start, sentence_starts, ctx.language):
                continue
            verdict = _misspelling(word.lower().replace("’", "'"), ctx.language, spell, budget)
            if verdict is None:
                continue
            message, replacements = verdict
            errors.append(
                TextError(
                    offset=start,
                    length=len(word),
                    message=message.format(word=word, language=ctx.language),
                    category="spelling",
                    replacements=[_match_case(r, word) for r in replacements],
                    check="spelling",
                )
            )
    return errors


def check_contractions(ctx: CheckContext) -> list[TextError]:
    errors = []
    for token in ctx.tokens:
        fix = _APOSTROPHE_FIXES.get(token.norm)
        if fix:
            errors.append(
                TextError(
                    token.start,
                    token.end - token.start,
                    f"Write '{fix}' with its apostrophe."
                    if "'" in fix
                    else f"Write '{fix}' as two words.",
                    "spelling",
                    [fix if fix[0] == "I" else _match_case(fix, token.text)],
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
            )  # fmt: skip
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
                )  # fmt: skip
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
                )  # fmt: skip
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
                )  # fmt: skip
            )
    return errors


def check_final_punctuation(ctx: CheckContext) -> list[TextError]:
    stripped = ctx.text.rstrip()
    if not ctx.sentences or not stripped or stripped[-1] in FINAL_PUNCTUATION:
        return []
    last = ctx.sentences[-1]
    mark = "。" if ctx.language == "ja" else "."
    return [
        TextError(
            last.end - 1,
            1,
            "The text should end with punctuation.",
            "punctuation",
            [ctx.text[last.end - 1] + mark],
            "final_punctuation",
        )
    ]


def check_a_an(ctx: CheckContext) -> list[TextError]:
    errors = []
    for sentence in ctx.sentences:
        for art, nxt in zip(sentence.tokens, sentence.tokens[1:], strict=False):
            if art.norm not in ("a", "an") or ctx.text[art.end : nxt.start].strip():
                continue
            word = nxt.norm
            if nxt.text.isupper() and len(nxt.text) > 1:
                continue  # acronyms follow their letter names ("an MBA", "a UN report")
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
                        [_match_case(wanted, art.text)],
                        "articles_a_an",
                    )
                )
    return errors


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


def _word_parts(token: Token) -> list[tuple[str, int]]:
    parts, pos = [], token.start
    for part in token.text.split("-"):
        if part:
            parts.append((part, pos))
        pos += len(part) + 1
    return parts


def _skip(word: str, start: int, sentence_starts: set[int], language: str) -> bool:
    lower = word.lower().replace("’", "'")
    if len(word) == 1 or lower.endswith("'") or lower in _APOSTROPHE_FIXES or word.isupper():
        return True  # elided articles, contractions (own check), acronyms
    # A capitalised word mid-sentence is most likely a name; German capitalises every noun.
    return word[0].isupper() and start not in sentence_starts and language != "de"


def _misspelling(
    word: str, language: str, spell: _Speller, budget: list[int]
) -> tuple[str, list[str]] | None:
    if word in spell:
        return None
    accented = _accent_variant(word, language, spell)
    if accented:
        return "'{word}' needs an accent: '" + accented + "'.", [accented]
    own = zipf(word, language)
    if own >= KNOWN_ZIPF or _inflection_of_known(word, language, spell):
        return None
    if budget[0] <= 0:
        # Past the budget only words no source knows are reported, without suggestions.
        return ("'{word}' is not a known {language} word.", []) if own == 0 else None
    budget[0] -= 1
    suggestions = _suggestions(word, language, spell)
    if own == 0 or (suggestions and zipf(suggestions[0], language) - own >= 1.5):
        return "'{word}' looks misspelled.", suggestions
    return None


# Lemma endings (infinitives) that an inflected verb form's stem can take. Dictionaries for
# these languages list infinitives but miss many conjugated forms.
_LEMMA_ENDINGS = {
    "es": ("ar", "er", "ir"), "pt": ("ar", "er", "ir"), "ca": ("ar", "er", "ir", "re"),
    "fr": ("er", "ir", "re"), "it": ("are", "ere", "ire"), "de": ("en", "n"),
    "nl": ("en",), "ru": ("ть",),
}  # fmt: skip
_MAX_INFLECTION = 6


def _inflection_of_known(word: str, language: str, spell: _Speller) -> bool:
    """True when the word reads as an inflected form of a common dictionary verb:
    "nadamos" = "nad" + "amos", and "nadar" is a word. Misspellings usually break the stem,
    so they rarely pass this."""
    for cut in range(1, min(_MAX_INFLECTION, len(word) - 3) + 1):
        stem = word[:-cut]
        for ending in _LEMMA_ENDINGS.get(language, ()):
            lemma = stem + ending
            if lemma != word and lemma in spell and zipf(lemma, language) >= SUGGESTION_ZIPF:
                return True
    return False


_ACCENTS = {
    "a": "áàâä", "e": "éèêë", "i": "íìîï", "o": "óòôö", "u": "úùûü", "c": "ç", "n": "ñ",
    "s": "ß",
}  # fmt: skip


def _accent_variant(word: str, language: str, spell: _Speller) -> str | None:
    if language == "en":
        return None
    best: tuple[float, str] | None = None
    for i, ch in enumerate(word):
        for accented in _ACCENTS.get(ch, ""):
            variant = word[:i] + accented + word[i + 1 :]
            if variant in spell:
                score = zipf(variant, language)
                if best is None or score > best[0]:
                    best = (score, variant)
    if best and best[0] > zipf(word, language):
        return best[1]
    return None


def _suggestions(word: str, language: str, spell: _Speller) -> list[str]:
    candidates = spell.candidates(word) or set()
    candidates.discard(word)
    ranked = sorted(candidates, key=lambda c: (-zipf(c, language), c))
    return ranked[:3]


def _match_case(replacement: str, original: str) -> str:
    if original[:1].isupper():
        return replacement[:1].upper() + replacement[1:]
    return replacement


@dataclass(frozen=True)
class _Speller:
    """pyspellchecker's dictionary for membership; for suggestions the same checker also
    knows wordfreq's common words (Zipf >= 3.3), because some dictionaries lack frequent
    forms (pyspellchecker's Spanish has no "necesito")."""

    words: frozenset[str]
    checker: Any

    def __contains__(self, word: str) -> bool:
        return word in self.words

    def candidates(self, word: str) -> set[str] | None:
        return self.checker.candidates(word)


SUGGESTION_ZIPF = KNOWN_ZIPF
SUGGESTION_VOCABULARY = 60_000


@lru_cache(maxsize=8)
def _spellchecker(language: str) -> _Speller:
    import wordfreq
    from spellchecker import SpellChecker

    checker = SpellChecker(language=language)
    words = frozenset(checker.word_frequency.dictionary)
    common = [
        w
        for w in wordfreq.top_n_list(language, SUGGESTION_VOCABULARY)
        if w.isalpha() and zipf(w, language) >= SUGGESTION_ZIPF
    ]
    checker.word_frequency.load_words(common)
    return _Speller(words, checker)

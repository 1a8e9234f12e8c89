"""Spelling: dictionary lookup (pyspellchecker) checked against word frequency (wordfreq)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from pipelines.cefr import Token, zipf
from pipelines.writing.inflection import keep_inflection
from pipelines.writing.ngrams import english_bigrams
from pipelines.writing.spans import APOSTROPHE_FIXES, CheckContext, TextError, match_case
from pipelines.writing.unknown_words import (
    in_address,
    listed,
    offer_replacement,
    program_text,
    wordnet_compound,
    wordnet_word,
)

# A word wordfreq has seen this often is accepted even when the spelling dictionary lacks it
# (regional spellings such as "colour", "organise"). Common misspellings sit below: in
# wordfreq's English list "teh" is 3.04, "definately" 2.87, "recieve" 2.75.
KNOWN_ZIPF = 3.3
NOT_IN_DICTIONARY = "'{word}' is not in the dictionary: check its spelling."
MAX_SUGGESTED = 50  # distinct misspellings we compute replacements for (edit distance 2 is slow)
# pyspellchecker's bundled dictionaries.
SPELLING_LANGUAGES = frozenset(
    {"ar", "de", "en", "es", "eu", "fa", "fr", "it", "lv", "nl", "pt", "ru"}
)


def check_spelling(ctx: CheckContext) -> list[TextError]:
    """Dictionary lookup with a frequency check, so rare but real word forms pass.

    A word the spelling dictionary lacks is an error when (in this order): one added accent
    turns it into a dictionary word ("tambien" -> "también"); wordfreq has never seen it; or
    a dictionary word one or two edits away is at least 10 times (1.5 Zipf) more frequent
    ("famlia" -> "familia"). Otherwise it is accepted: the dictionaries miss many inflected
    forms ("nadamos"), which are rare but not wrong. Words wordfreq knows well (Zipf 3.3 or
    more) are accepted unless the accent rule applies.

    English suggestions are ranked by how well each fits between its neighbours (a bigram
    language model, `ngrams.py`), so "my freind" offers "friend" and "small vilage" "village";
    other languages rank them by frequency. An English word WordNet lists is accepted, and a
    replacement is offered only when it is clearly the better reading (`unknown_words.py`);
    otherwise the word is reported as not in the dictionary, without a replacement, at every
    place the text uses it, as is a word the text also writes in an address, a path or as
    code, and a word the text lists with names ("netstat, rarp and route").
    """
    spell = _spellchecker(ctx.language)
    errors: list[TextError] = []
    budget = [MAX_SUGGESTED]
    sentence_starts = {s.tokens[0].start for s in ctx.sentences if s.tokens}
    # A word the text also capitalises inside a sentence is a name, at a sentence's start
    # too ("Leifert said ... Leifert added"): names are skipped, not corrected.
    names = {t.text for t in ctx.tokens if t.text[:1].isupper() and t.start not in sentence_starts}
    starts = {start for start in sentence_starts if _first_word(ctx.text, start) not in names}
    for sentence in ctx.sentences:
        errors += _sentence_misspellings(ctx, sentence.tokens, spell, budget, starts)
    # One verdict per word: a word used where no replacement fits ("lyrics of baile funk" after
    # "Rio's baile funk") is not corrected elsewhere in the same text either.
    unsure = {
        _word(ctx.text, e).lower()
        for e in errors
        if e.message == NOT_IN_DICTIONARY.format(word=_word(ctx.text, e))
    }
    if ctx.language == "en":
        # A word the text also writes in an address, a path, a file name or as code is a
        # name there and here: "a mosquitto broker ... /etc/mosquitto/".
        unsure |= {t.text.lower() for t in ctx.tokens if in_address(ctx.text, t.start, t.end)}
        unsure |= _listed_with_names(ctx, errors)
    return [
        replace(e, message=NOT_IN_DICTIONARY.format(word=_word(ctx.text, e)), replacements=[])
        if e.replacements and _word(ctx.text, e).lower() in unsure
        else e
        for e in errors
    ]


_CONJUNCTIONS = frozenset({"and", "or", "nor", "&"})


def _listed_with_names(ctx: CheckContext, errors: list[TextError]) -> set[str]:
    """The unknown words the text lists with a name: coordinated ("X, W", "X and W", "W or
    X") with a word the spelling check leaves without a replacement, a word no word list
    has that the check accepts for its frequency alone ("netstat"), an identifier written
    with inner capitals ("libXrender") or a word written as code. Coordinated words are of
    one kind, so a word listed with names is a name too: "arp, ifconfig, netstat, rarp and
    route", "the netbase and procps startup scripts", "libXrender and renderext"."""
    unreplaced = {e.offset for e in errors if not e.replacements}
    replaced = {e.offset: _word(ctx.text, e).lower() for e in errors if e.replacements}
    if not replaced:
        return set()

    def name_like(token: Token) -> bool:
        inner = token.text[1:]
        if token.start in replaced:
            return False  # a slip with its replacement: "banannas and oranjes"
        return (
            token.start in unreplaced
            or in_address(ctx.text, token.start, token.end)
            or (any(c.isupper() for c in inner) and any(c.islower() for c in inner))
            or (token.text.isalpha() and token.text.islower() and not listed(token.norm))
        )

    found: set[str] = set()
    for sentence in ctx.sentences:
        tokens = sentence.tokens
        for i in range(len(tokens) - 1):
            gap = ctx.text[tokens[i].end : tokens[i + 1].start].strip()
            pairs = []
            if gap in {",", "/"}:
                pairs.append((tokens[i], tokens[i + 1]))
            elif not gap and tokens[i + 1].norm in _CONJUNCTIONS and i + 2 < len(tokens):
                after = ctx.text[tokens[i + 1].end : tokens[i + 2].start].strip()
                if not after:
                    pairs.append((tokens[i], tokens[i + 2]))
            for a, b in pairs:
                for word, other in ((a, b), (b, a)):
                    if word.start in replaced and name_like(other):
                        found.add(replaced[word.start])
    return found


def _word(text: str, error: TextError) -> str:
    return text[error.offset : error.offset + error.length]


def _name_at_start(tokens: tuple[Token, ...], language: str) -> bool:
    """A capitalised first word followed by another capitalised word ("Navi Pillay said",
    "Krunch Ltd") or with a possessive ("Basford's titles") is taken as a name."""
    first = tokens[0].text
    if language != "en" or not first[:1].isupper():
        return False
    if first.lower().replace("’", "'").endswith("'s"):
        return True
    return len(tokens) > 1 and tokens[1].text[:1].isupper() and tokens[1].norm != "i"


def _first_word(text: str, start: int) -> str:
    end = start
    while end < len(text) and (text[end].isalnum() or text[end] in "'’-"):
        end += 1
    return text[start:end]


def _sentence_misspellings(
    ctx: CheckContext,
    tokens: tuple[Token, ...],
    spell: _Speller,
    budget: list[int],
    sentence_starts: set[int],
) -> list[TextError]:
    errors: list[TextError] = []
    # In a sentence that writes program text ("adduser --system ... in your postinst"), a
    # word two edits from a common one is as likely a program's name as a slip.
    programs = (
        ctx.language == "en"
        and bool(tokens)
        and program_text(ctx.text[tokens[0].start : tokens[-1].end])
    )
    for i, token in enumerate(tokens):
        context = _neighbours(ctx, tokens, i)
        if i == 0 and _name_at_start(tokens, ctx.language):
            continue
        if ctx.language == "en" and _real_english_token(ctx.text, token, context):
            continue
        parts = _word_parts(token)
        for word, start in parts:
            if _skip(word, start, sentence_starts, ctx.language):
                continue
            form, clitic = _clitic(word.lower().replace("’", "'"), ctx.language)
            verdict = _misspelling(form, ctx.language, spell, budget, context)
            if verdict is None:
                continue
            message, replacements = verdict
            if (
                ctx.language == "en"
                and replacements
                and not offer_replacement(
                    form,
                    replacements[0],
                    *context,
                    in_compound=len(parts) > 1,
                    in_program_text=programs,
                )
            ):
                message, replacements = NOT_IN_DICTIONARY, []
            replacements = [r + clitic for r in replacements]
            errors.append(
                TextError(
                    offset=start,
                    length=len(word),
                    message=message.format(word=word, language=ctx.language),
                    category="spelling",
                    replacements=[match_case(r, word) for r in replacements],
                    check="spelling",
                )
            )
    return errors


def _real_english_token(text: str, token: Token, context: tuple[str | None, str | None]) -> bool:
    """A hyphenated compound or a two-word expression WordNet lists ("tic-tac-toe", "a
    priori"), or a part of an address, a path or a file name ("vimeo.com", "/etc/passwd"):
    not checked word by word."""
    return (
        ("-" in token.text and wordnet_word(token.text))
        or wordnet_compound(context[0], token.norm, context[1])
        or in_address(text, token.start, token.end)
    )


# English clitics: "Lewis's", "whoever's", "there're", "they'll" are checked without them.
_CLITICS = ("'s", "'re", "'ll", "'ve", "'d", "'m")


def _clitic(form: str, language: str) -> tuple[str, str]:
    if language == "en":
        for clitic in _CLITICS:
            if form.endswith(clitic) and len(form) > len(clitic) + 1:
                return form[: -len(clitic)], clitic
    return form, ""


def _neighbours(
    ctx: CheckContext, tokens: tuple[Token, ...], i: int
) -> tuple[str | None, str | None]:
    """The words either side of token i in its clause (None across punctuation)."""
    left = right = None
    if i and not ctx.text[tokens[i - 1].end : tokens[i].start].strip():
        left = tokens[i - 1].norm
    if i + 1 < len(tokens) and not ctx.text[tokens[i].end : tokens[i + 1].start].strip():
        right = tokens[i + 1].norm
    return left, right


def _word_parts(token: Token) -> list[tuple[str, int]]:
    parts, pos = [], token.start
    for part in token.text.split("-"):
        if part:
            parts.append((part, pos))
        pos += len(part) + 1
    return parts


def _skip(word: str, start: int, sentence_starts: set[int], language: str) -> bool:
    lower = word.lower().replace("’", "'")
    if len(word) == 1 or lower.endswith("'") or lower in APOSTROPHE_FIXES or word.isupper():
        return True  # elided articles, contractions (own check), acronyms
    if any(c.isupper() for c in word[1:]):
        return True  # a brand or an identifier: "iReport", "McDonald", "JavaScript"
    # A capitalised word mid-sentence is most likely a name; German capitalises every noun.
    return word[0].isupper() and start not in sentence_starts and language != "de"


def _misspelling(
    word: str,
    language: str,
    spell: _Speller,
    budget: list[int],
    context: tuple[str | None, str | None] = (None, None),
) -> tuple[str, list[str]] | None:
    if word in spell or (language == "en" and wordnet_word(word)):
        return None
    accented = _accent_variant(word, language, spell)
    if accented:
        return "'{word}' needs an accent: '" + accented + "'.", [accented]
    own = zipf(word, language)
    if own >= KNOWN_ZIPF or _inflection_of_known(word, language, spell):
        return None
    if language == "en" and _english_form(word):
        return None  # an inflection lemminflect's lexicon lists: "dependences"
    if budget[0] <= 0:
        # Past the budget only words no source knows are reported, without suggestions.
        return ("'{word}' is not a known {language} word.", []) if own == 0 else None
    budget[0] -= 1
    suggestions = _suggestions(word, language, spell, context)
    if own == 0 or (suggestions and max(zipf(s, language) for s in suggestions) - own >= 1.5):
        return "'{word}' looks misspelled.", suggestions
    return None


# Lemma endings (infinitives) that an inflected verb form's stem can take. Dictionaries for
# these languages list infinitives but miss many conjugated forms.
_LEMMA_ENDINGS = {
    "es": ("ar", "er", "ir"),
    "pt": ("ar", "er", "ir"),
    "ca": ("ar", "er", "ir", "re"),
    "fr": ("er", "ir", "re"),
    "it": ("are", "ere", "ire"),
    "de": ("en", "n"),
    "nl": ("en",),
    "ru": ("ть",),
}
_MAX_INFLECTION = 6


@lru_cache(maxsize=8192)
def _english_form(word: str) -> bool:
    from lemminflect import getAllLemmas

    return bool(getAllLemmas(word))


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
    "a": "áàâä",
    "e": "éèêë",
    "i": "íìîï",
    "o": "óòôö",
    "u": "úùûü",
    "c": "ç",
    "n": "ñ",
    "s": "ß",
}


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


def _suggestions(
    word: str, language: str, spell: _Speller, context: tuple[str | None, str | None]
) -> list[str]:
    candidates = spell.candidates(word) or set()
    candidates.discard(word)
    if language == "en":
        candidates = keep_inflection(word, candidates)
        model = english_bigrams()
        left, right = context
        ranked = sorted(candidates, key=lambda c: (-model.fit(left, c, right), c))
    else:
        ranked = sorted(candidates, key=lambda c: (-zipf(c, language), c))
    return ranked[:3]


@dataclass(frozen=True)
class _Speller:
    """pyspellchecker's dictionary for membership; for suggestions the same checker also
    knows wordfreq's common words (Zipf >= 3.3), because some dictionaries lack frequent
    forms (pyspellchecker's Spanish has no "necesito").

    Suggestions are the known words one edit away (pyspellchecker generates them), or else
    two edits away. pyspellchecker finds the latter by generating every string two edits away
    (about 200,000 for an 8-letter word, half a second); rapidfuzz's Damerau-Levenshtein
    distance (the same edits: insert, delete, replace, swap neighbours) over the known words
    of similar length finds the same set in tens of milliseconds.
    """

    words: frozenset[str]
    checker: Any
    windows: dict[int, list[str]] = field(default_factory=dict, compare=False)

    def __contains__(self, word: str) -> bool:
        return word in self.words

    def candidates(self, word: str) -> set[str] | None:
        if self.checker.known([word]):
            return {word}  # a common word the base dictionary lacks: nothing to suggest
        near = self.checker.known(self.checker.edit_distance_1(word))
        if near:
            return near
        found = process.extract(
            word,
            self._window(len(word)),
            scorer=DamerauLevenshtein.distance,
            score_cutoff=2,
            limit=None,
        )
        return {candidate for candidate, _distance, _index in found} or None

    def _window(self, length: int) -> list[str]:
        """The known words within two letters of a length (shared by concurrent checks)."""
        window = self.windows.get(length)
        if window is None:
            known = self.checker.word_frequency.dictionary
            window = [w for w in known if abs(len(w) - length) <= 2]
            self.windows[length] = window
        return window


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

"""English words the spelling dictionary lacks: a real word, or a misspelling worth a fix?

A learner's dictionary misses many real words: rare and technical words ("axiological"),
new formations ("recertification", "downloaders", "facticity"), loanwords ("arché"), names
("Wolin") and foreign words ("zur", "ein"). Offering the nearest common word for one of these
changes a correct word into another ("facticity" -> "activity"). So the spelling check
accepts the words WordNet lists, alone or as a compound with a hyphen or a neighbour
("axiological", "tic-tac-toe", "a priori"), leaves the words of a web or e-mail address, a
path or a file name alone ("vimeo.com", "/etc/passwd", "idna.h", "foad1.sh"), and words
written as code ("mosquitto_passwd", "`passwd'", ":windo") or quoted alone ("the 'cedit'
option": mentioned, not used), and otherwise offers a
replacement only when it is clearly the better reading; when it is not, the word is reported
as not in the dictionary, with no replacement, for the learner to check.

A replacement is offered (`offer_replacement`) when none of these holds:

- a larger curated word list has the word: SCOWL's largest English lists (Debian's
  `wamerican-insane` and `wbritish-insane`, American and British spellings), which hold rare
  real words a learner's dictionary lacks ("netizens", "plinks", "improv", "reacceded",
  "archiver", "woot") and common foreign ones ("hola");
- the replacement is two edits away and the word has fewer than eight letters: some common
  word is nearly always two edits from a short one by chance ("stderr" -> "steer", "soname"
  -> "same"), while most misspellings are one edit from their word (Damerau, 1964); nor, at
  any length, in a sentence that writes program text (a long option, a path, a URL, an
  identifier, backticks: "adduser --system ... in your postinst"). Edits are counted to the
  nearest form of the replacement's word, so a kept inflection ("maintaing" ->
  "maintaining", one edit from "maintain": `inflection.py`) counts as one;
- the word drops the "g" of an "-ing" form ("I ain't payin"): a spelling of speech;
- the word is one part of a hyphenated compound ("sing-alongs", "physico-chemical",
  "shilly-shally"): such parts are often bound forms no dictionary lists alone;
- the word has no vowel letter (a, e, i, o, u, y): an abbreviation or an identifier ("Thx",
  "dpkg", "txt"), not a slip of an English word;
- it opens or ends with two letters that open or end no common English word ("dbus",
  "cmake", "ldap"; "systemd", "passwd"): a program or file name, or a foreign word;
- it joins two common dictionary words ("reportbug", "hostname", "readline"): a closed
  compound;
- the replacement changes the word's first letter ("Komen" -> "Women", "devel" -> "level",
  "espeak" -> "speak"). Writers rarely get a word's first letter wrong (Yannakoudakis and
  Fawthrop, 1983; Pollock and Zamora, 1984, found it right in about 93 % of misspellings),
  except where English spells a silent first letter ("nife" -> "knife", "rite" -> "write");
- the word carries a letter English spells without accents ("arché", "d'être"): a loanword
  or a name, and dropping the accent is no correction;
- it reads as an English formation: a common prefix on a dictionary word ("re" +
  "certification", "un" + "feel") or a dictionary word with a derivational suffix ("download"
  + "ers", "fact" + "icity", "club" + "less"), unless the replacement only changes the
  letters where the two parts meet, the classic slip of such words ("true" + "ly" -> "truly",
  "argue" + "ment" -> "argument"). Inflections (-s, -ed, -ing) are not counted: "hobbys" and
  "shoping" are the classic misspellings of that shape;
- the word is written in every language's text: in wordfreq's lists of languages written in
  other scripts, where a word in Latin letters is a name, code or an English quote, it is at
  least 10^2.5 (about 300) times more common relative to the replacement than in English,
  in at least three lists ("passwd", 2,000 times rarer than "passed" in English, 4 to 6
  times abroad: a program's name). A slip of an English word is not lifted so: it lives
  where English is written (`cross_lingual.py`);

and one of these holds:

- the context supports the replacement: with one of its neighbours it forms a word pair the
  bigram counts hold more often than chance (`Bigrams.support` > 0): "my freind" -> "my
  friend", "a peice of";
- when no neighbour supports it, the replacement is one edit away and among the most common
  English words (Zipf >= 4.75, the 1,500 most frequent: A2 by frequency, `cefr.lexicon`),
  and the word has four letters or more: "Tomorow we" -> "Tomorrow". Three-letter forms
  such as "Thx" and "Erm" are as often abbreviations and interjections as slips.

None of these accepts the word: it is still reported as not in the dictionary, for the
learner to check, since SCOWL's lists and wordfreq also hold some learners' misspellings
("hause", "verry").

Not used: CMUdict (in `pocketsphinx`) as a further lexicon. It lists names and common
misspellings ("freind", "hause", "verry", "wass"), so it would accept learners' errors.
Neither is a foreign-word signal (a common word of another language): learners' misspellings
are often their own language's spelling ("confortable", "hause").
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from pipelines.cefr import zipf
from pipelines.writing import cross_lingual
from pipelines.writing.inflection import nearest_form_distance
from pipelines.writing.ngrams import english_bigrams

COMMON_ZIPF = 4.75  # about the 1,500 most frequent English words (A2 by frequency)
MIN_LETTERS_WITHOUT_CONTEXT = 4
BASE_ZIPF = 3.0  # a formation's base must be a word learners and editors use (top ~30,000)
MIN_BASE = 3

# Prefixes and derivational suffixes of English word formation (Bauer, Lieber & Plag, The
# Oxford Reference Guide to English Morphology, 2013): the productive ones only.
PREFIXES = (
    "anti",
    "co",
    "counter",
    "de",
    "dis",
    "hyper",
    "inter",
    "mis",
    "multi",
    "non",
    "over",
    "post",
    "pre",
    "re",
    "self",
    "sub",
    "super",
    "trans",
    "un",
    "under",
)
SUFFIXES = (
    "able",
    "al",
    "ally",
    "dom",
    "er",
    "ers",
    "esque",
    "ful",
    "hood",
    "ic",
    "icity",
    "ise",
    "ised",
    "ism",
    "isms",
    "ist",
    "ists",
    "ity",
    "ive",
    "ively",
    "ize",
    "ized",
    "less",
    "ly",
    "ment",
    "ments",
    "ness",
    "ship",
    "wise",
)
# Endings a misspelled inflection leaves as a "word" ("stud" + "ing"): not a compound's part.
ENDINGS = frozenset({"ing", "ed", "es", "est", "er", "ers", *SUFFIXES})
_ENGLISH_LETTERS = re.compile(r"^[a-z']+$")
_VOWEL = re.compile(r"[aeiouy]")
# SCOWL's largest lists (size 95) as Debian installs them (wamerican-insane, wbritish-insane).
WORD_LISTS = (
    Path("/usr/share/dict/american-english-insane"),
    Path("/usr/share/dict/british-english-insane"),
)
# Two edits away only for a word this long: in a shorter one, some common word is nearly
# always two edits away by chance ("stderr" -> "steer", "soname" -> "same").
MIN_LETTERS_FOR_TWO_EDITS = 8
# English spellings with a silent first letter, which writers leave out ("nife", "rite").
SILENT_OPENINGS = ("gn", "kn", "pn", "ps", "wh", "wr")
# An opening or closing letter pair counts as English when this many common words have it.
EDGE_WORDS = 3
EDGE_VOCABULARY = 30_000
# A word this much (Zipf) more common relative to the replacement in other scripts' lists than
# in English is a name or code ("passwd": 2.66). Of the 57,592 typos with one correction in
# codespell's dictionary, 2 reach it: a French word ("mesures") and a device name ("hda");
# at 2.0, 11, a real slip among them ("insead").
MIN_LIFT = 2.5
COMPOUND_ZIPF = 4.0  # each part of a closed compound among the ~5,000 most common words
# A word joined by a dot to a top-level domain is part of a web address ("vimeo.com").
_WEB_ADDRESS = re.compile(r"\.(?:com|org|net|edu|gov|io|co|uk|de|fr|info)\b", re.IGNORECASE)
_ADDRESS_MARK = re.compile(r"[/@]|[a-z0-9]\.[a-z]")
# Code in running text: an identifier joined by an underscore ("mosquitto_passwd"), or a word
# quoted as code, in backticks (Markdown's `nss-mdns`) or in GNU's `quote' style.
_IDENTIFIER = re.compile(r"[^\W_]_[^\W_]")
# A word quoted alone is mentioned, not used: an option's or a command's name ("the 'cedit'
# option", "the \"func\" breakpoints"), which a learner's text does not need corrected.
_MENTION = re.compile(r"""(["'“‘])[^\W\d_]+(["'”’])""")
_EX_COMMAND = re.compile(r":[a-z]")  # an editor command: ":windo", ":set"
# Marks of program text in a sentence: a long command-line option ("adduser --system"), an
# absolute or home path ("/usr/lib", "~/.vimrc"), a URL scheme, an identifier, a backtick.
_PROGRAM_TEXT = re.compile(r"(?<!\S)(?:--[a-z]|~?/\w)|://|[^\W_]_[^\W_]|`")


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


def in_address(text: str, start: int, end: int) -> bool:
    """True when the word between `start` and `end` is followed by a dot and a domain ending
    ("vimeo.com"), or is part of a run of characters without spaces that holds a slash, an
    at sign or a dot between a lower-case letter or digit and a letter: a web or e-mail
    address, a path or a file name ("/etc/passwd", "guus@debian.org", "idna.h",
    "foad1.sh"); or that is written as code: an identifier with an underscore
    ("mosquitto_passwd"), a run quoted in backticks ("`passwd'", "`nss-mdns`"), an editor
    command (":windo"), or a word quoted alone ("the 'cedit' option")."""
    if _WEB_ADDRESS.match(text, end):
        return True
    left, right = _run(text, start, end)
    run = text[left:right]
    return bool(
        _ADDRESS_MARK.search(run)
        or _IDENTIFIER.search(run)
        or _EX_COMMAND.match(run)
        or run.startswith("`")
        or run.rstrip(".,;:!?)'\"").endswith("`")
        or _MENTION.fullmatch(run.rstrip(".,;:!?)"))
    )


def _run(text: str, start: int, end: int) -> tuple[int, int]:
    """The run of characters without spaces around text[start:end]."""
    left = start
    while left > 0 and not text[left - 1].isspace():
        left -= 1
    right = end
    while right < len(text) and not text[right].isspace():
        right += 1
    return left, right


def program_text(text: str) -> bool:
    """True when a text (a sentence) writes program text: a long command-line option
    ("adduser --system"), an absolute path, a URL, an identifier with an underscore or
    code in backticks."""
    return bool(_PROGRAM_TEXT.search(text))


def offer_replacement(
    word: str,
    replacement: str,
    left: str | None,
    right: str | None,
    in_compound: bool = False,
    in_program_text: bool = False,
) -> bool:
    """Whether to offer `replacement` for the unknown English `word` (lower case) between
    its neighbours, `in_compound` when it is a part of a hyphenated word, `in_program_text`
    when its sentence writes program text (see the module docstring)."""
    if not _ENGLISH_LETTERS.match(word) or in_compound or not _looks_like_a_slip(word):
        return False
    if not _keeps_first_letter(word, replacement) or _dropped_g(word):
        return False
    # The inflection the writer spelled is kept ("maintaing" -> "maintaining"): the edits
    # that count are those to the nearest form of the same word ("maintain").
    distance = nearest_form_distance(word, replacement)
    if distance > 1 and (len(word) < MIN_LETTERS_FOR_TWO_EDITS or in_program_text):
        return False
    junctions = formation_junctions(word)
    if junctions and not any(_edit_at(word, replacement, j) for j in junctions):
        return False
    if cross_lingual.lift(word, replacement)[0] >= MIN_LIFT:
        return False
    support = english_bigrams().support(left, replacement, right)
    if support is not None and support > 0:
        return True
    return (
        len(word) >= MIN_LETTERS_WITHOUT_CONTEXT
        and zipf(replacement, "en") >= COMMON_ZIPF
        and distance == 1
    )


@lru_cache(maxsize=8192)
def _looks_like_a_slip(word: str) -> bool:
    """False for a word that reads as another thing than a slip of an English word: listed
    by a larger word list, without a vowel, with edges no English word has, or a closed
    compound of two common words."""
    if word in _word_list() or not _VOWEL.search(word):
        return False
    openings, endings = _edges()
    if len(word) >= 3 and (word[:2] not in openings or word[-2:] not in endings):
        return False
    return not _closed_compound(word)


def listed(word: str) -> bool:
    """True when a word list has the (lower-case) word: the spelling dictionary, WordNet or
    SCOWL's largest lists."""
    return _is_word(word) or word in _word_list()


def _dropped_g(word: str) -> bool:
    return word.endswith("in") and _is_word(word + "g")


def _keeps_first_letter(word: str, replacement: str) -> bool:
    if word[:1] == replacement[:1]:
        return True
    return replacement[:2] in SILENT_OPENINGS and word.startswith(replacement[1:2])


def _closed_compound(word: str) -> bool:
    """Two common dictionary words ("report" + "bug"), the second no ending ("stud" +
    "ing")."""
    return any(
        _compound_part(word[:cut]) and _compound_part(word[cut:]) and word[cut:] not in ENDINGS
        for cut in range(MIN_BASE, len(word) - MIN_BASE + 1)
    )


def _compound_part(part: str) -> bool:
    return zipf(part, "en") >= COMPOUND_ZIPF and _is_word(part)


@lru_cache(maxsize=1)
def _word_list() -> frozenset[str]:
    """SCOWL's largest American and British lists (lower-case entries: names are left
    out); empty when the Debian packages are not installed."""
    words: set[str] = set()
    for path in WORD_LISTS:
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            words.update(w for w in text.split() if w.islower())
    return frozenset(words)


@lru_cache(maxsize=1)
def _edges() -> tuple[frozenset[str], frozenset[str]]:
    """The letter pairs that open, and those that end, at least EDGE_WORDS of the most
    common English words the spelling dictionary lists."""
    from collections import Counter

    import wordfreq

    from pipelines.writing.spelling import _spellchecker

    spell = _spellchecker("en")
    common = [
        w
        for w in wordfreq.top_n_list("en", EDGE_VOCABULARY)
        if len(w) >= 3 and w.isalpha() and w.isascii() and w in spell
    ]
    openings = Counter(w[:2] for w in common)
    endings = Counter(w[-2:] for w in common)
    return (
        frozenset(p for p, n in openings.items() if n >= EDGE_WORDS),
        frozenset(p for p, n in endings.items() if n >= EDGE_WORDS),
    )


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


def english_word(form: str) -> bool:
    """True when the learner's dictionary (pyspellchecker) or WordNet has the lower-case
    form."""
    return _is_word(form)


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

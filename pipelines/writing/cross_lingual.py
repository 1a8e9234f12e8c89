"""Is an unknown English word a slip, or a name or code that every language writes?

A slip of an English word ("freind", "recieve", "sucessful") lives in English text: where a
text in another language quotes English, it meets the slip about as often, relative to the
word it was meant to be, as English text does, or not at all. A program's or a file's name,
a command or a brand ("passwd", "systemd", "chmod") is written the same in every language's
technical text. In languages written in another script (Arabic, Bengali, Hebrew, Japanese,
Macedonian, Russian, Ukrainian, Chinese) a word in Latin letters is such a name, code or an
English quote, so there a program's name is far more common relative to the English word a
spelling check would put in its place than it is in English: "passwd" is 3.3 Zipf (2,000
times) rarer than "passed" in wordfreq's English list, but only 0.6 to 0.8 rarer in its
Japanese, Chinese and Arabic lists. Learners' misspellings that are words of another
language written in Latin letters ("confortable", "hause") are not lifted: those
languages are not counted.

`lift(word, replacement)`: how many Zipf the word gains on the replacement abroad, the
median over the lists that attest the word of (its English gap to the replacement minus its
gap there), and how many lists attest it. The counts come from wordfreq's large lists of
those languages (Robyn Speer, wordfreq 3, CC BY-SA 4.0, built from Wikipedia, subtitles,
news, books, web text, Twitter and Reddit); `LIFT_TABLE` keeps the words in Latin letters
that at least `MIN_LISTS` of them attest, with their Zipf frequency in each, and is rebuilt
by `python -m pipelines.writing.cross_lingual` (about half a minute).
"""

from __future__ import annotations

import gzip
import re
import statistics
from functools import lru_cache
from pathlib import Path

from pipelines.cefr import zipf

LANGUAGES = ("ar", "bn", "he", "ja", "mk", "ru", "uk", "zh")
MIN_LISTS = 3  # attested by at least this many lists: one list's loanword or name is noise
LIFT_TABLE = Path(__file__).resolve().parent / "wordlists" / "latin-words-in-other-scripts.tsv.gz"
# wordfreq's large lists stop at Zipf 1.0: a replacement a list does not hold is counted
# there, at the floor, so a word the list holds is compared with it fairly.
FLOOR_ZIPF = 1.0
_LATIN_WORD = re.compile(r"^[a-z]+$")


def lift(word: str, replacement: str) -> tuple[float, int]:
    """(Zipf the word gains on the replacement in the other-script lists over English, the
    number of lists that attest the word); (0.0, 0) for a word the table does not hold,
    since fewer than MIN_LISTS lists attest it."""
    table = _table()
    found = table.get(word)
    if not found:
        return 0.0, 0
    attested = [i for i, z in enumerate(found) if z > 0]
    if len(attested) < MIN_LISTS:
        return 0.0, len(attested)
    other = table.get(replacement, ())
    gaps = [max(other[i] if other else 0.0, FLOOR_ZIPF) - found[i] for i in attested]
    english_gap = zipf(replacement, "en") - zipf(word, "en")
    return round(english_gap - statistics.median(gaps), 2), len(attested)


@lru_cache(maxsize=1)
def _table() -> dict[str, tuple[float, ...]]:
    """The table shipped with the code."""
    table: dict[str, tuple[float, ...]] = {}
    with gzip.open(LIFT_TABLE, "rt", encoding="utf-8") as lines:
        for line in lines:
            if line.startswith("#"):
                continue
            word, *values = line.rstrip("\n").split("\t")
            table[word] = tuple(float(v) if v else 0.0 for v in values)
    return table


def build(path: Path = LIFT_TABLE) -> int:
    """Write the table from the installed wordfreq's lists; the number of words kept."""
    from importlib import metadata, resources

    import wordfreq

    found: dict[str, dict[str, float]] = {}
    for language in LANGUAGES:
        pack = resources.files("wordfreq") / "data" / f"large_{language}.msgpack.gz"
        for index, bucket in enumerate(wordfreq.read_cBpack(str(pack))):
            for word in bucket:
                if _LATIN_WORD.match(word):
                    # A bucket's index is its frequency in centibels below 1: Zipf 9 - cB/100.
                    found.setdefault(word, {})[language] = round(9 - index / 100, 2)
    kept = sorted(w for w, by in found.items() if len(by) >= MIN_LISTS)
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=9) as out:
        out.write(f"# word\t{chr(9).join(LANGUAGES)}\t(Zipf; empty: not listed)\n")
        out.write(f"# wordfreq {metadata.version('wordfreq')}, its large lists\n")
        for word in kept:
            values = [found[word].get(lang) for lang in LANGUAGES]
            out.write(word + "\t" + "\t".join("" if v is None else f"{v:g}" for v in values))
            out.write("\n")
    return len(kept)


if __name__ == "__main__":
    print(f"{build()} words written to {LIFT_TABLE}")

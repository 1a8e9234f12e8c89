"""English word and word-pair counts: which spelling suggestion fits its neighbours.

The counts are the frequency lists that ship with `symspellpy` (MIT): 82,765 words and the
242,342 most frequent word pairs of a large English web and book corpus (Google's n-gram
counts, as prepared by SymSpell's author). A candidate is scored with a bigram language model
with stupid backoff (Brants et al. 2007): P(word | left) from the pair counts, else 0.4 x the
word's own share; and the same for the word on the right.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

BACKOFF = 0.4
METHOD = "symspellpy-bigrams-243k"


@dataclass(frozen=True)
class Bigrams:
    words: dict[str, int]
    total: int
    pairs: dict[tuple[str, str], int]
    left_totals: dict[str, int]  # sum of the pair counts that start with a word

    def share(self, word: str) -> float:
        return (self.words.get(word, 0) + 1) / self.total

    def following(self, left: str, word: str) -> float:
        """P(word | left) with backoff to the word's own share."""
        count = self.pairs.get((left, word))
        if count:
            return count / self.left_totals[left]
        return BACKOFF * self.share(word)

    def pair(self, left: str, right: str) -> int:
        return self.pairs.get((left, right), 0)

    def support(self, left: str | None, word: str, right: str | None) -> float | None:
        """How much a neighbour makes the word more likely than chance: the larger of
        log10 P(word | left) / P(word) and log10 P(right | word) / P(right), None with no
        neighbour. Above 0 only when a counted word pair is more frequent than chance."""
        sides = []
        if left:
            sides.append(math.log10(self.following(left, word) / self.share(word)))
        if right:
            sides.append(math.log10(self.following(word, right) / self.share(right)))
        return max(sides) if sides else None

    def fit(self, left: str | None, word: str, right: str | None) -> float:
        """log10 P(word | left) + log10 P(right | word): how well a word sits between two."""
        score = math.log10(self.following(left, word) if left else self.share(word))
        if right:
            score += math.log10(self.following(word, right))
        return score


@lru_cache(maxsize=1)
def english_bigrams() -> Bigrams:
    folder = resources.files("symspellpy")
    words: dict[str, int] = {}
    with (folder / "frequency_dictionary_en_82_765.txt").open(encoding="utf-8") as lines:
        for line in lines:
            word, count = line.split()
            words[word] = int(count)
    pairs: dict[tuple[str, str], int] = {}
    left_totals: dict[str, int] = {}
    with (folder / "frequency_bigramdictionary_en_243_342.txt").open(encoding="utf-8") as lines:
        for line in lines:
            left, right, count = line.split()
            pairs[(left, right)] = int(count)
            left_totals[left] = left_totals.get(left, 0) + int(count)
    return Bigrams(words, sum(words.values()), pairs, left_totals)

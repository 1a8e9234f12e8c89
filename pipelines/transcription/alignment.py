"""Word alignment between a reference text and what was said: for scripted reading and WER.

Tokens are normalised (Unicode NFKC, case folded, punctuation stripped except word-internal
apostrophes and hyphens) so "Books." matches "books". Languages written without spaces
(Japanese, Chinese, Thai) are compared character by character, since a word segmentation
would depend on the tokenizer more than on the speaker.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field

UNSPACED_LANGUAGES = frozenset({"ja", "zh", "th", "lo", "my", "km", "yue"})
_WORD = re.compile(r"[\w]+(?:['’\-][\w]+)*", re.UNICODE)


def normalise_tokens(text: str, language: str | None = None) -> list[str]:
    """Comparable tokens of `text`: lower-case words, or characters for unspaced scripts."""
    folded = unicodedata.normalize("NFKC", text).casefold().replace("’", "'")
    words = _WORD.findall(folded)
    if language in UNSPACED_LANGUAGES:
        return [char for word in words for char in word]
    return words


@dataclass(frozen=True)
class Substitution:
    expected: str
    said: str
    reference_index: int


@dataclass(frozen=True)
class Alignment:
    """The edit script turning the reference tokens into the spoken tokens."""

    reference: list[str]
    hypothesis: list[str]
    correct: int
    omitted: list[str] = field(default_factory=list)
    inserted: list[str] = field(default_factory=list)
    substituted: list[Substitution] = field(default_factory=list)
    # For each reference token, the index of the spoken token matched to it (or None).
    matches: list[int | None] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return len(self.omitted) + len(self.inserted) + len(self.substituted)

    @property
    def word_error_rate(self) -> float:
        if not self.reference:
            return 0.0 if not self.hypothesis else 1.0
        return self.errors / len(self.reference)

    @property
    def completeness(self) -> float:
        """Share of the reference that was attempted (read right or misread, not skipped)."""
        if not self.reference:
            return 1.0
        return (len(self.reference) - len(self.omitted)) / len(self.reference)

    @property
    def accuracy(self) -> float:
        """Share of what was said that matches the reference."""
        said = self.correct + len(self.substituted) + len(self.inserted)
        return self.correct / said if said else 0.0


def align_tokens(reference: list[str], hypothesis: list[str]) -> Alignment:
    """Align two token lists with difflib's longest-matching-blocks diff."""
    matcher = difflib.SequenceMatcher(a=reference, b=hypothesis, autojunk=False)
    correct = 0
    omitted: list[str] = []
    inserted: list[str] = []
    substituted: list[Substitution] = []
    matches: list[int | None] = [None] * len(reference)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            correct += i2 - i1
            for offset in range(i2 - i1):
                matches[i1 + offset] = j1 + offset
        elif tag == "delete":
            omitted.extend(reference[i1:i2])
        elif tag == "insert":
            inserted.extend(hypothesis[j1:j2])
        else:  # replace: pair words one to one, the surplus on either side is an omission/insertion
            paired = min(i2 - i1, j2 - j1)
            for offset in range(paired):
                substituted.append(
                    Substitution(reference[i1 + offset], hypothesis[j1 + offset], i1 + offset)
                )
                matches[i1 + offset] = j1 + offset
            omitted.extend(reference[i1 + paired : i2])
            inserted.extend(hypothesis[j1 + paired : j2])
    return Alignment(
        reference=reference,
        hypothesis=hypothesis,
        correct=correct,
        omitted=omitted,
        inserted=inserted,
        substituted=substituted,
        matches=matches,
    )


def align_text(reference: str, hypothesis: str, language: str | None = None) -> Alignment:
    return align_tokens(
        normalise_tokens(reference, language), normalise_tokens(hypothesis, language)
    )


def word_error_rate(reference: str, hypothesis: str, language: str | None = None) -> float:
    """(substitutions + deletions + insertions) / reference words, after normalisation.

    The count comes from a Levenshtein distance, not from the difflib alignment, so it is
    the minimal edit count that the usual definition of WER asks for.
    """
    ref = normalise_tokens(reference, language)
    hyp = normalise_tokens(hypothesis, language)
    if not ref:
        return 0.0 if not hyp else 1.0
    previous = list(range(len(hyp) + 1))
    for i, ref_token in enumerate(ref, start=1):
        current = [i] + [0] * len(hyp)
        for j, hyp_token in enumerate(hyp, start=1):
            current[j] = min(
                previous[j] + 1,
                current[j - 1] + 1,
                previous[j - 1] + (ref_token != hyp_token),
            )
        previous = current
    return previous[-1] / len(ref)

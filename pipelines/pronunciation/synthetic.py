"""Synthetic readings with known errors, spoken by espeak-ng, to count how many errors the
scorer finds and how many correct words it leaves alone.

For a sentence, four recordings: read correctly; one word with two phonemes substituted
(espeak-ng phoneme input `[[...]]`: the stressed vowel and the first consonant swapped for
distant ones); one word dropped; one word inserted. The reference text is always the
original sentence. Which word is dropped (any word of three letters or more), which word is
inserted and where (between two words of the sentence) are drawn from a generator seeded
with the case's number, so the set is varied and the same on every run.
"""

from __future__ import annotations

import random
import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pipelines.errors import PipelineError
from pipelines.pronunciation.phones import espeak_available

KINDS = ("correct", "substitution", "omission", "insertion")
INSERTED_WORDS = (
    "green",
    "very",
    "quickly",
    "purple",
    "seven",
    "really",
    "little",
    "window",
    "happy",
    "never",
    "yellow",
    "often",
)
MIN_WORDS = 4  # a sentence must keep three words when one is dropped
MIN_DROPPED_LETTERS = 3

# espeak-ng English phoneme mnemonics, longest first, and the distant phoneme each becomes.
_VOWELS = {
    "aI@": "u:",
    "aU@": "i:",
    "aI": "u:",
    "aU": "i:",
    "eI": "u:",
    "oU": "i:",
    "OI": "i:",
    "e@": "u:",
    "i@": "O:",
    "U@": "i:",
    "O@": "i:",
    "A@": "i:",
    "3:": "i:",
    "A:": "i:",
    "O:": "i:",
    "i:": "u:",
    "u:": "i:",
    "I#": "u:",
    "I2": "u:",
    "@2": "i:",
    "@5": "i:",
    "@L": "i:",
    "O2": "i:",
    "a#": "u:",
    "a": "u:",
    "A": "i:",
    "e": "u:",
    "E": "u:",
    "i": "u:",
    "I": "u:",
    "0": "i:",
    "O": "i:",
    "u": "i:",
    "U": "i:",
    "V": "i:",
    "@": "i:",
    "3": "i:",
}
_CONSONANTS = {
    "tS": "m",
    "dZ": "l",
    "p": "k",
    "b": "g",
    "t": "m",
    "d": "l",
    "k": "p",
    "g": "b",
    "f": "S",
    "v": "z",
    "T": "m",
    "D": "g",
    "s": "m",
    "z": "v",
    "S": "f",
    "Z": "d",
    "h": "f",
    "m": "s",
    "n": "f",
    "N": "s",
    "l": "d",
    "r": "m",
    "w": "z",
    "j": "k",
}
_TOKENS = sorted([*_VOWELS, *_CONSONANTS], key=len, reverse=True)


@dataclass(frozen=True)
class SyntheticCase:
    kind: str
    reference: str  # what the learner was asked to read
    spoken: str  # espeak-ng input (may hold [[phonemes]])
    # The reference word substituted or dropped; for an insertion, the reference word the
    # extra word comes before.
    target: int | None
    inserted: str | None = None


def cases(sentence: str, seed: int = 0) -> list[SyntheticCase]:
    """The four readings of `sentence` (see the module notes)."""
    words = sentence.split()
    rng = random.Random(seed)
    target = _content_word(words)
    correct = SyntheticCase("correct", sentence, sentence, None)
    phonemes = substituted_phonemes(_bare(words[target]))
    substituted = words.copy()
    substituted[target] = f"[[{phonemes}]]" + _trailing(words[target])
    droppable = [i for i, w in enumerate(words) if len(_bare(w)) >= MIN_DROPPED_LETTERS]
    drop = rng.choice(droppable or range(len(words)))
    dropped = words[:drop] + words[drop + 1 :]
    if drop == len(words) - 1 and dropped:
        dropped[-1] = _bare(dropped[-1]) + _trailing(words[drop])
    extra = rng.choice([w for w in INSERTED_WORDS if w not in map(_lower_bare, words)])
    at = rng.randrange(1, len(words)) if len(words) > 1 else 1
    inserted = words[:at] + [extra] + words[at:]
    return [
        correct,
        SyntheticCase("substitution", sentence, " ".join(substituted), target),
        SyntheticCase("omission", sentence, " ".join(dropped), drop),
        SyntheticCase("insertion", sentence, " ".join(inserted), at, extra),
    ]


def choose_sentences(texts: Sequence[str], count: int) -> list[str]:
    """`count` distinct sentences of at least MIN_WORDS words, spread evenly from the
    shortest to the longest."""
    eligible = sorted(
        {t for t in texts if len(t.split()) >= MIN_WORDS}, key=lambda t: (len(t.split()), t)
    )
    if count >= len(eligible):
        return eligible
    step = (len(eligible) - 1) / max(1, count - 1)
    return [eligible[round(i * step)] for i in range(count)]


def substituted_phonemes(word: str) -> str:
    """espeak-ng's phonemes of `word` with its stressed vowel and first consonant changed."""
    spelled = _run(["-x", "--", word]).strip().split()[0]
    tokens = _tokenise(spelled)
    stressed = next(
        (i + 1 for i, t in enumerate(tokens[:-1]) if t == "'" and tokens[i + 1] in _VOWELS), None
    )
    if stressed is None:
        stressed = next((i for i, t in enumerate(tokens) if t in _VOWELS), None)
    if stressed is not None:
        tokens[stressed] = _VOWELS[tokens[stressed]]
    consonant = next((i for i, t in enumerate(tokens) if t in _CONSONANTS), None)
    if consonant is not None:
        tokens[consonant] = _CONSONANTS[tokens[consonant]]
    return "".join(tokens)


def synthesise(text: str, path: Path, *, speed: int = 150, voice: str = "en-us") -> Path:
    """Speak `text` into a WAV file at `path` with espeak-ng."""
    _run(["-v", voice, "-s", str(speed), "-w", str(path), "--", text], quiet=False)
    return path


def _run(args: list[str], *, quiet: bool = True) -> str:
    if not espeak_available():
        raise PipelineError("pronunciation_unavailable", "espeak-ng is not installed.")
    flags = ["-q"] if quiet else []  # -q: no sound, which also means no WAV file
    done = subprocess.run(
        ["espeak-ng", *flags, *args], capture_output=True, text=True, timeout=30, check=False
    )
    if done.returncode != 0:
        raise PipelineError("pronunciation_unavailable", f"espeak-ng failed: {done.stderr[:200]}")
    return done.stdout


def _tokenise(phonemes: str) -> list[str]:
    tokens, i = [], 0
    while i < len(phonemes):
        for t in _TOKENS:
            if phonemes.startswith(t, i):
                tokens.append(t)
                i += len(t)
                break
        else:
            tokens.append(phonemes[i])
            i += 1
    return tokens


def _content_word(words: list[str]) -> int:
    """The longest word away from the sentence's edges where possible."""
    inner = range(1, len(words) - 1) if len(words) > 2 else range(len(words))
    return max(inner, key=lambda i: (len(_bare(words[i])), -abs(i - len(words) / 2)))


def _bare(word: str) -> str:
    return re.sub(r"[^\w']", "", word)


def _lower_bare(word: str) -> str:
    return _bare(word).lower()


def _trailing(word: str) -> str:
    match = re.search(r"[^\w']+$", word)
    return match.group(0) if match else ""

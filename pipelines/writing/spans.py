"""The shape of a found error, the context checks read, and helpers they share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from pipelines.cefr import Sentence, Token

# English contractions written without the apostrophe. "cant", "wont", "its", "lets",
# "were", "shell", "ill" are real words, so they are not listed.
APOSTROPHE_FIXES = {
    "dont": "don't",
    "doesnt": "doesn't",
    "didnt": "didn't",
    "isnt": "isn't",
    "arent": "aren't",
    "wasnt": "wasn't",
    "werent": "weren't",
    "havent": "haven't",
    "hasnt": "hasn't",
    "hadnt": "hadn't",
    "couldnt": "couldn't",
    "wouldnt": "wouldn't",
    "shouldnt": "shouldn't",
    "im": "I'm",
    "ive": "I've",
    "youre": "you're",
    "theyre": "they're",
    "thats": "that's",
    "theres": "there's",
    "whats": "what's",
    "alot": "a lot",
}


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


def match_case(replacement: str, original: str) -> str:
    if original[:1].isupper():
        return replacement[:1].upper() + replacement[1:]
    return replacement

"""Real words in the wrong place: "wether" for "whether", "their is" for "there is".

A misspelling that lands on another dictionary word passes the spelling check. A short
table of the confusions learners make holds each with the context that leaves no doubt:
- "wether" (a castrated ram) is "whether";
- "their" straight before a form of "be" is "there" ("Their is a problem");
- "exited" after an intensifier ("very", "so", "really", "too", "extremely", "quite") is
  "excited".
A general rule (a rare word one edit from a frequent one that the word-pair counts of
`ngrams.py` prefer between the same neighbours) found "wether" too, but on edited prose it
reported 88 false errors in 836,000 words ("folds" -> "folks", "yanked" -> "ranked"), so
only the table is used.
"""

from __future__ import annotations

from pipelines.cefr import Token
from pipelines.writing.spans import CheckContext, TextError, match_case

_BE = frozenset({"is", "are", "was", "were", "isn't", "aren't", "wasn't", "weren't"})
_INTENSIFIERS = frozenset("very so really too extremely quite".split())


def check_confusions(ctx: CheckContext) -> list[TextError]:
    errors = []
    for sentence in ctx.sentences:
        tokens = sentence.tokens
        for i, token in enumerate(tokens):
            before = tokens[i - 1].norm if i and _joined(ctx, tokens, i - 1, i) else ""
            after = (
                tokens[i + 1] if i + 1 < len(tokens) and _joined(ctx, tokens, i, i + 1) else None
            )
            word = token.norm
            if word == "wether":
                errors.append(_error(token, "whether", "'whether' (if) is spelt with 'wh'."))
            elif word == "their" and after is not None and after.norm in _BE:
                errors.append(
                    _error(token, "there", f"'there {after.text}', not 'their {after.text}'.")
                )
            elif word == "exited" and before in _INTENSIFIERS:
                errors.append(
                    _error(
                        token, "excited", "'excited' (happy and eager); 'exited' means 'went out'."
                    )
                )
    return errors


def _error(token: Token, wanted: str, message: str) -> TextError:
    return TextError(
        token.start,
        token.end - token.start,
        message,
        "spelling",
        [match_case(wanted, token.text)],
        "confusions",
    )


def _joined(ctx: CheckContext, tokens: tuple[Token, ...], a: int, b: int) -> bool:
    return all(not ctx.text[tokens[k].end : tokens[k + 1].start].strip() for k in range(a, b))

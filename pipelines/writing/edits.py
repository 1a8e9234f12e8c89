"""Errors shown as edits a learner can read: whole words in, whole words out.

Checks find the exact characters at fault: a doubled space, a space before a comma, a
repeated word, a missing final mark. Shown as they are ("  " -> " ", "" for " the") the edit
is unreadable, so each is widened to the words around it: "the the" -> "the", "film ,and"
-> "film, and", "story.Really" -> "story. Really". Neighbouring spacing errors inside one
group of words become one edit. Where the widened words hold an error of another kind (a
misspelling, a capital letter), the narrow edits stay, so both errors are kept; the missing
final mark, shown on the last word ("car" -> "car."), becomes an insertion after that word.
"""

from __future__ import annotations

import dataclasses

from pipelines.writing.spans import TextError

_WIDENED = frozenset({"spacing", "repeated_words"})


def readable_edits(errors: list[TextError], text: str) -> list[TextError]:
    groups: list[list[TextError]] = []
    spans: list[tuple[int, int]] = []
    for err in sorted((e for e in errors if e.check in _WIDENED), key=lambda e: e.offset):
        start, end = _words_around(text, err.offset, err.offset + err.length)
        if spans and start < spans[-1][1]:
            spans[-1] = (spans[-1][0], max(end, spans[-1][1]))
            groups[-1].append(err)
        else:
            spans.append((start, end))
            groups.append([err])
    others = [e for e in errors if e.check not in _WIDENED]
    out = []
    for (start, end), group in zip(spans, groups, strict=True):
        if any(_overlaps(e.offset, e.length, start, end - start) for e in others):
            out += group  # the words hold another error: keep the narrow edits
            continue
        out.append(_merged(text, start, end, group))
    for err in others:
        if err.check == "final_punctuation" and any(
            e is not err and _overlaps(e.offset, e.length, err.offset, err.length)
            for e in (*others, *out)
        ):
            end = err.offset + err.length
            err = dataclasses.replace(
                err, offset=end, length=0, replacements=[err.replacements[0][err.length :]]
            )
        out.append(err)
    return out


def _merged(text: str, start: int, end: int, group: list[TextError]) -> TextError:
    pieces, pos = [], start
    for err in group:
        if not err.replacements or err.offset < pos:
            continue
        pieces += [text[pos : err.offset], err.replacements[0]]
        pos = err.offset + err.length
    pieces.append(text[pos:end])
    messages = list(dict.fromkeys(e.message for e in group))
    return dataclasses.replace(
        group[0],
        offset=start,
        length=end - start,
        message=" ".join(messages),
        replacements=["".join(pieces)],
    )


def _words_around(text: str, start: int, end: int) -> tuple[int, int]:
    """The span grown to whole whitespace-separated words on both sides."""
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    if start < end and text[start].isspace():
        back = start
        while back > 0 and text[back - 1].isspace():
            back -= 1
        while back > 0 and not text[back - 1].isspace():
            back -= 1
        start = back
    while end < len(text) and not text[end].isspace():
        end += 1
    if end > start and text[end - 1].isspace():
        while end < len(text) and text[end].isspace():
            end += 1
        while end < len(text) and not text[end].isspace():
            end += 1
    return start, end


def _overlaps(a_start: int, a_len: int, b_start: int, b_len: int) -> bool:
    return a_start < b_start + max(b_len, 1) and b_start < a_start + max(a_len, 1)

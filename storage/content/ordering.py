"""The order of a course's chapters, given as a list of ids or as `next` links (the
reference design's `next_chapter_id`), checked before anything moves.

Plain functions; each problem raises Unprocessable with a stable code:
`chapter_order_duplicate` (an id twice: the order would loop), `chapter_order_cycle` (links
that come back on themselves), `chapter_order_gap` (a chapter left out, or links that break
into several pieces), `chapter_order_unknown` (an id that is not a chapter of the course).
"""

from __future__ import annotations

from collections.abc import Iterable

from storage.errors import Unprocessable


def check_order(wanted: list[str], existing: Iterable[str]) -> list[str]:
    """A full order of the course's chapters: every chapter exactly once."""
    known = set(existing)
    seen: set[str] = set()
    for chapter_id in wanted:
        if chapter_id not in known:
            raise Unprocessable(
                f"{chapter_id!r} is not a chapter of this course.",
                code="chapter_order_unknown",
                details={"chapter_id": chapter_id},
            )
        if chapter_id in seen:
            raise Unprocessable(
                f"Chapter {chapter_id!r} appears twice: the order would loop.",
                code="chapter_order_duplicate",
                details={"chapter_id": chapter_id},
            )
        seen.add(chapter_id)
    missing = sorted(known - seen)
    if missing:
        raise Unprocessable(
            f"The order leaves out {len(missing)} chapter(s): a gap.",
            code="chapter_order_gap",
            details={"missing": missing},
        )
    return list(wanted)


def order_from_links(pairs: list[tuple[str, str | None]], existing: Iterable[str]) -> list[str]:
    """The order that `(chapter, next)` links describe: one chain from the one chapter
    nothing points at to the one pointing at nothing, through every chapter."""
    known = set(existing)
    links: dict[str, str | None] = {}
    for chapter_id, following in pairs:
        if chapter_id in links:
            raise Unprocessable(
                f"Chapter {chapter_id!r} is linked twice.",
                code="chapter_order_duplicate",
                details={"chapter_id": chapter_id},
            )
        links[chapter_id] = following
    for chapter_id, following in links.items():
        for value in (chapter_id, following):
            if value is not None and value not in known:
                raise Unprocessable(
                    f"{value!r} is not a chapter of this course.",
                    code="chapter_order_unknown",
                    details={"chapter_id": value},
                )
    pointed: dict[str, str] = {}
    for chapter_id, following in links.items():
        if following is None:
            continue
        if following == chapter_id or following in pointed:
            raise Unprocessable(
                f"Chapter {following!r} is reached twice: the links loop.",
                code="chapter_order_cycle",
                details={"chapter_id": following},
            )
        pointed[following] = chapter_id
    heads = [c for c in links if c not in pointed]
    if not heads:
        raise Unprocessable(
            "The links form a cycle: no chapter comes first.", code="chapter_order_cycle"
        )
    if len(heads) > 1:
        raise Unprocessable(
            "The links break into several pieces: a gap after a chapter.",
            code="chapter_order_gap",
            details={"first_chapters": sorted(heads)},
        )
    order, current = [], heads[0]
    while current is not None:
        if current in order:
            raise Unprocessable(
                f"Chapter {current!r} is reached twice: the links loop.",
                code="chapter_order_cycle",
                details={"chapter_id": current},
            )
        order.append(current)
        current = links.get(current)
    detached = known - set(order)
    if detached and all(c in pointed for c in detached):
        raise Unprocessable(
            "Some chapters link only to each other: a cycle.",
            code="chapter_order_cycle",
            details={"chapters": sorted(detached)},
        )
    return check_order(order, known)

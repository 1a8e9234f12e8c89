"""Writing benchmark: the offline writing assessment, with its spelling suggestions found by
rapidfuzz (the platform) against pyspellchecker's own search (the baseline), same texts.

Texts, both English and deterministic:
- learner paragraph: about 600 characters of A2 writing with misspellings, agreement and
  verb-form errors (what most submissions look like);
- 10,000 characters (the default limit): learner sentences with 80 distinct misspellings
  made by two random edits of common words, the worst case for the suggestion search (the
  assessment computes suggestions for at most 50 distinct words).

Each variant runs once as a warm-up (dictionaries loaded, caches filled, as in a long-lived
worker), then `runs` rounds run every variant in turn. The baseline swaps only the
suggestion search for pyspellchecker's `candidates` (every string one, then two, edits away);
the checks, scoring and results are otherwise the same, and the run verifies that both find
the same errors with the same suggestions.
"""

from __future__ import annotations

import random
import statistics
import time
from typing import Any

LEARNER = (
    "Last summer i go to London with my freind. We was very exited because it were our "
    "first travel abroad. My brother like football, so we visit the stadium and he buyed a "
    "shirt. The weather were not good but we have enjoyed the trip. I have went to many "
    "museum and I didn't saw the queen. The food is diferent from my country and and I "
    "think it is more expensive. Next year I want to visit Scotland, becuase my teacher "
    "say it is beautifull. She have lived there for five years. Does she likes it? I think "
    "yes. We must to save money for the next trip."
)
COMMON = (
    "necessary government beautiful restaurant different tomorrow interesting environment "
    "knowledge language experience important business comfortable information vegetable "
    "remember favourite neighbour question exercise difficult journey weather breakfast "
    "holiday children special country because although"
).split()


def _misspelled(rng: random.Random, word: str) -> str:
    letters = list(word)
    for _ in range(2):
        i = rng.randrange(1, len(letters) - 1)
        edit = rng.choice(("drop", "double", "swap"))
        if edit == "drop":
            del letters[i]
        elif edit == "double":
            letters.insert(i, letters[i])
        else:
            letters[i], letters[i + 1 if i + 1 < len(letters) else i - 1] = (
                letters[i + 1 if i + 1 < len(letters) else i - 1],
                letters[i],
            )
    return "".join(letters)


def long_text(limit: int = 10_000, misspellings: int = 80) -> str:
    rng = random.Random(7)
    wrong = []
    while len(wrong) < misspellings:
        candidate = _misspelled(rng, rng.choice(COMMON))
        if candidate not in wrong and candidate not in COMMON:
            wrong.append(candidate)
    sentences, i = [], 0
    while sum(len(s) + 1 for s in sentences) < limit - 200:
        sentences.append(
            f"My friend thinks the {wrong[i % len(wrong)]} is very "
            f"{wrong[(i + 1) % len(wrong)]} and we talk about it every day."
        )
        i += 2
    return " ".join(sentences)[:limit]


def _found(result: Any) -> list[tuple[int, int, str, tuple[str, ...]]]:
    return [(e.offset, e.length, e.check, tuple(e.replacements)) for e in result.errors]


def run(runs: int = 5) -> dict[str, Any]:
    from pipelines.writing import assess_writing, spelling

    speller = spelling._spellchecker("en")
    ours = type(speller).candidates

    def reference(self: Any, word: str) -> set[str] | None:
        return self.checker.candidates(word)

    texts = {"learner paragraph": LEARNER, "10,000 characters": long_text()}
    variants = {"platform": ours, "baseline": reference}
    times: dict[str, dict[str, list[float]]] = {t: {v: [] for v in variants} for t in texts}
    found: dict[str, dict[str, Any]] = {t: {} for t in texts}
    for round_no in range(runs + 1):  # round 0 is the warm-up
        for label, text in texts.items():
            for variant, search in variants.items():
                type(speller).candidates = search  # type: ignore[method-assign]
                try:
                    started = time.perf_counter()
                    result = assess_writing(text, "en")
                    elapsed = time.perf_counter() - started
                finally:
                    type(speller).candidates = ours  # type: ignore[method-assign]
                if round_no:
                    times[label][variant].append(elapsed)
                found[label][variant] = _found(result)
    out: dict[str, Any] = {
        "title": "Writing assessment (offline)",
        "settings": {"runs": runs},
        "texts": {},
    }
    for label, text in texts.items():
        mine = statistics.median(times[label]["platform"]) * 1000
        base = statistics.median(times[label]["baseline"]) * 1000
        out["texts"][label] = {
            "characters": len(text),
            "errors": len(found[label]["platform"]),
            "same_result": found[label]["platform"] == found[label]["baseline"],
            "platform_p50_ms": round(mine, 1),
            "baseline_p50_ms": round(base, 1),
            "ratio": round(mine / base, 4) if base else None,
        }
    return out


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))

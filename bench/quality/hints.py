"""Hints: the share of the most frequent English and Japanese words (wordfreq's lists) that
the offline dictionaries give a meaning for, and how often they give a memory aid and an
example. Goal: a meaning for >= 95 % of the 5,000 most frequent words of each language.

wordfreq's lists are tokens as a word splitter cuts them: they include symbols and emoji
(♪, ★, 😂) and, for Japanese, inflection stems (思っ, 言わ). The share is reported over all
tokens, and over the tokens with at least one letter or digit.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

GOAL = 0.95
LANGUAGES = {"en": "English", "ja": "Japanese"}


def run(quick: bool = False) -> dict[str, Any]:
    from wordfreq import top_n_list

    from pipelines import dictionary

    size = 1000 if quick else 5000
    out: dict[str, Any] = {"words": size, "goal": GOAL, "languages": {}}
    for language in LANGUAGES:
        words = top_n_list(language, size)
        started = time.monotonic()
        found = {w: dictionary.lookup(w, language) for w in words}
        seconds = time.monotonic() - started
        met = [m for m in found.values() if m is not None]
        wordlike = [w for w in words if any(c.isalnum() for c in w)]
        out["languages"][language] = {
            "share": round(len(met) / len(words), 4),
            "share_wordlike": round(sum(found[w] is not None for w in wordlike) / len(wordlike), 4),
            "wordlike": len(wordlike),
            "with_memory_aid": round(sum(bool(m.aids) for m in met) / len(words), 4),
            "with_example": round(sum(bool(m.examples) for m in met) / len(words), 4),
            "sources": dict(Counter(m.source for m in met).most_common()),
            "methods": dict(Counter(m.method for m in met).most_common(6)),
            "missing": [w for w, m in found.items() if m is None][:40],
            "ms_per_word": round(1000 * seconds / len(words), 1),
        }
    out["goal_met"] = all(r["share"] >= GOAL for r in out["languages"].values())
    return out


def render(result: dict[str, Any]) -> str:
    lines = [
        "### hints",
        "",
        f"Offline meanings for the {result['words']:,} most frequent words (wordfreq), "
        f"goal >= {result['goal']:.0%} each: {'met' if result['goal_met'] else 'NOT met'}.",
        "",
        "| language | meaning (all tokens) | meaning (tokens with a letter or digit) | memory aid "
        "| example | sources | ms/word |",
        "|---|---|---|---|---|---|---|",
    ]
    for language, r in result["languages"].items():
        sources = ", ".join(f"{k} {v}" for k, v in r["sources"].items())
        lines.append(
            f"| {LANGUAGES[language]} | {r['share']:.1%} | {r['share_wordlike']:.1%} of "
            f"{r['wordlike']:,} | {r['with_memory_aid']:.1%} | {r['with_example']:.1%} "
            f"| {sources} | {r['ms_per_word']} |"
        )
    for language, r in result["languages"].items():
        lines.append("")
        lines.append(
            f"{LANGUAGES[language]} without a meaning (first 40): " + " ".join(r["missing"])
        )
    return "\n".join(lines)

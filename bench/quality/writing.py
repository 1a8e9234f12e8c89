"""Writing feedback quality: the offline checks against a teacher's marking, and their false
alarms on edited prose.

- Feedback set (`tests/fixtures/feedback/writing.jsonl`): short learner texts with the
  errors a teacher would mark (the words, the kind, the correction), written by hand from
  the rules a teacher applies, including errors no offline rule catches (tenses,
  prepositions). A found error is a true positive when it overlaps a marked error; precision
  is over the errors found, recall over the errors marked. A suggestion is right when
  applying it to the text gives the teacher's correction (spacing aside). "Correct words
  changed" counts found errors that touch no marked error and would replace a word with
  another word.
- Spelling ranking (`tests/fixtures/feedback/misspellings.tsv`): common learner
  misspellings with a neighbour on each side; the first suggestion of the bigram model
  against the most frequent candidate (the ranking before it).
- Edited prose: English paragraphs that editors have checked (Vim's help files, the
  Markdown files of the installed Python packages, Debian's README files: runs of 8+ words
  between code-like lines that end with a full stop) and the graded reading texts of
  `cefr-texts/train.csv` (written for learners, so close to what they write about).
  Every error the grammar-type checks report there (agreement, verb forms, number,
  irregular forms, names, confusions, a/an) counts as false; the dictionary spelling check
  is counted apart, since technical prose is full of words no learner dictionary has: on
  slices of the graded texts and of Debian's README files, the words it flags, those it
  offers a replacement for, and those a replacement would change into another word: a slip
  of the source corrected or miscorrected (`tests/fixtures/feedback/prose-slips.tsv`, each
  judged by hand in its sentence), or a correct word changed (every other).
"""

from __future__ import annotations

import csv
import gzip
import json
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.quality import DATA_DIR, ROOT

FEEDBACK_SET = ROOT / "tests" / "fixtures" / "feedback" / "writing.jsonl"
MISSPELLINGS = ROOT / "tests" / "fixtures" / "feedback" / "misspellings.tsv"
PROSE_SLIPS = ROOT / "tests" / "fixtures" / "feedback" / "prose-slips.tsv"
PROSE_CHECKS = (
    "agreement",
    "verb_forms",
    "number",
    "irregular_forms",
    "names",
    "confusions",
    "articles_a_an",
)
PROSE_SOURCES = {
    "vim help": (Path("/usr/share/vim"), "vim*/doc/*.txt"),
    "python package docs": (ROOT / ".venv" / "lib", "python3*/site-packages/**/*.md"),
    "debian readmes": (Path("/usr/share/doc"), "*/README*"),
    "graded reading texts": (DATA_DIR / "cefr-texts", "train.csv"),
}
QUICK_PROSE_WORDS = 40_000  # per source
# The dictionary spelling check is slow on rare words (suggestions two edits away), so it
# runs on three slices: the first graded reading texts (the prose closest to what learners
# write), the graded texts that follow them, and Debian's README files (technical prose).
# The rules for unknown words were built looking at the words changed there (v3: the first
# slice; v4: all three; v5: the Debian slice, and Vim's help files for quoted words and editor
# commands), so the slices measure them, they do not test them on unseen text.
SPELLING_PROSE_WORDS = {True: 20_000, False: 100_000}
SPELLING_TECHNICAL_WORDS = {True: 10_000, False: 100_000}


@dataclass(frozen=True)
class Marked:
    offset: int
    length: int
    type: str
    correction: str


@dataclass
class Tally:
    found: int = 0
    true_found: int = 0
    marked: int = 0
    recalled: int = 0
    suggested: int = 0
    suggested_right: int = 0
    type_right: int = 0
    changed_correct: list[dict[str, Any]] = field(default_factory=list)
    missed: list[dict[str, Any]] = field(default_factory=list)
    false: list[dict[str, Any]] = field(default_factory=list)


def load_feedback_set(path: Path = FEEDBACK_SET) -> list[dict[str, Any]]:
    """The feedback items, each marked error placed on its text (whole-word occurrence)."""
    items = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        item["marked"] = [_place(item["text"], e) for e in item["errors"]]
        items.append(item)
    return items


def _place(text: str, error: dict[str, Any]) -> Marked:
    pattern = r"(?<!\w)" + re.escape(error["original"]) + r"(?!\w)"
    starts = [m.start() for m in re.finditer(pattern, text)]
    start = starts[error.get("occurrence", 1) - 1]
    return Marked(start, len(error["original"]), error["type"], error["correction"])


def _edit(text: str, offset: int, length: int, replacement: str) -> str:
    return " ".join((text[:offset] + replacement + text[offset + length :]).split())


def _overlaps(a_start: int, a_len: int, b_start: int, b_len: int) -> bool:
    return a_start < b_start + max(b_len, 1) and b_start < a_start + max(a_len, 1)


def evaluate(items: list[dict[str, Any]], assess: Any = None) -> Tally:
    """Compare the offline assessment of each item with the teacher's marking."""
    if assess is None:
        from pipelines.writing import assess_writing as assess
    tally = Tally()
    for item in items:
        text, marked = item["text"], item["marked"]
        result = assess(text, "en")
        errors = result.errors
        tally.found += len(errors)
        tally.marked += len(marked)
        for err in errors:
            hits = [m for m in marked if _overlaps(err.offset, err.length, m.offset, m.length)]
            original = text[err.offset : err.offset + err.length]
            if hits:
                tally.true_found += 1
                continue
            tally.false.append(
                {
                    "id": item["id"],
                    "original": original,
                    "check": err.check,
                    "replacement": err.replacements[:1],
                }
            )
            if err.replacements and _changes_a_word(original, err.replacements[0]):
                tally.changed_correct.append(tally.false[-1])
        for m in marked:
            hits = [e for e in errors if _overlaps(e.offset, e.length, m.offset, m.length)]
            if not hits:
                tally.missed.append(
                    {
                        "id": item["id"],
                        "original": text[m.offset : m.offset + m.length],
                        "type": m.type,
                    }
                )
                continue
            tally.recalled += 1
            err = hits[0]
            tally.type_right += err.category == m.type
            if err.replacements:
                tally.suggested += 1
                wanted = _edit(text, m.offset, m.length, m.correction)
                if _edit(text, err.offset, err.length, err.replacements[0]) == wanted:
                    tally.suggested_right += 1
    return tally


def suggestion_ranking() -> dict[str, int]:
    """First suggestions right on common misspellings in context, ranked by the bigram model
    (the platform) and by word frequency alone (the previous ranking), same candidates."""
    from pipelines.cefr import zipf
    from pipelines.writing import spelling

    speller = spelling._spellchecker("en")
    out = {"misspellings": 0, "context": 0, "frequency": 0}
    for line in MISSPELLINGS.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        left, word, right, wanted = line.split("\t")
        candidates = (speller.candidates(word) or set()) - {word}
        if not candidates:
            continue
        context = (left if left.isalpha() else None, right if right.isalpha() else None)
        ranked = spelling._suggestions(word, "en", speller, context)
        by_frequency = min(candidates, key=lambda c: (-zipf(c, "en"), c))
        out["misspellings"] += 1
        out["context"] += ranked[0] == wanted
        out["frequency"] += by_frequency == wanted
    return out


def _changes_a_word(original: str, replacement: str) -> bool:
    """True when a replacement turns a word into a different word (not only its case or the
    punctuation and spaces around it)."""

    def words(s: str) -> list[str]:
        return re.findall(r"\w+", s.lower())

    return words(original) != words(replacement)


def prose_paragraphs(words_per_source: int | None = None) -> list[tuple[str, str]]:
    """(source, paragraph) pairs of edited English prose on this machine, in a fixed order;
    at most about `words_per_source` words from each source when given."""
    paragraphs: list[tuple[str, str]] = []
    for name, (root, pattern) in PROSE_SOURCES.items():
        taken = 0
        for path in sorted(root.glob(pattern)):
            if not path.is_file() or (words_per_source and taken >= words_per_source):
                continue
            texts = _csv_texts(path) if path.suffix == ".csv" else _prose(_read(path))
            for paragraph in texts:
                if words_per_source and taken >= words_per_source:
                    break
                paragraphs.append((name, paragraph))
                taken += len(paragraph.split())
    return paragraphs


def _csv_texts(path: Path) -> list[str]:
    """The texts of a `text,label` CSV (the graded reading texts: edited, for learners)."""
    with path.open(encoding="utf-8", newline="") as f:
        return [row["text"] for row in csv.DictReader(f) if row["text"].strip()]


def _read(path: Path) -> str:
    raw = path.read_bytes()
    if path.suffix == ".gz":
        raw = gzip.decompress(raw)
    return raw.decode("utf-8", errors="replace")


# Lines of code, tables, lists and headings; Vim's tags (*tag*) and links (|link|) are
# markup around prose, so they are unwrapped rather than rejected.
_CODE_LINE = re.compile(r"^\t|^ {4,}|^[-*#>+|=~]|::|\w\(|[{}]|==|=>|\$ |\s{3,}\S")
_MARKUP = re.compile(r"\*([^*\s]+)\*|\|([^|\s]+)\|")


def _prose(text: str) -> list[str]:
    """Runs of prose lines (a code-like line ends a run) that read as finished sentences."""
    out = []
    for block in re.split(r"\n\s*\n", text):
        block = _MARKUP.sub(lambda m: m.group(1) or m.group(2), block)
        run: list[str] = []
        for line in [*block.splitlines(), ""]:
            if line.strip() and not _CODE_LINE.search(line):
                run.append(line.strip())
                continue
            paragraph, run = " ".join(run), []
            if len(paragraph.split()) < 8 or not paragraph.endswith((".", "!", "?")):
                continue
            letters = sum(c.isalpha() or c.isspace() for c in paragraph)
            if letters / len(paragraph) >= 0.85:
                out.append(paragraph)
    return out


def prose_false_errors(
    paragraphs: list[tuple[str, str]], checks: tuple[str, ...] = PROSE_CHECKS
) -> tuple[Counter[str], list[dict[str, Any]]]:
    """Words per source in the paragraphs, and the errors the named checks report there."""
    from pipelines.cefr import split_sentences
    from pipelines.writing.checks import available_checks
    from pipelines.writing.spans import CheckContext

    available, _skipped = available_checks("en")
    words: Counter[str] = Counter()
    found = []
    for source, paragraph in paragraphs:
        ctx = CheckContext(paragraph, "en", split_sentences(paragraph, "en"))
        words[source] += len(ctx.tokens)
        for name in checks:
            if name not in available:
                continue
            for err in available[name](ctx):
                start, end = max(0, err.offset - 40), err.offset + err.length
                found.append(
                    {
                        "check": name,
                        "source": source,
                        "original": paragraph[err.offset : end],
                        "replacement": err.replacements[:1],
                        "context": paragraph[start : end + 40],
                    }
                )
    return words, found


def spelling_on_prose(
    paragraphs: list[tuple[str, str]],
    limit: int,
    source: str = "graded reading texts",
    after: int = 0,
) -> dict[str, Any]:
    """What the dictionary spelling check reports on about `limit` words of one source of
    edited prose, from its paragraph number `after` on. Every report is a word the source
    wrote (editors' own slips are rare), and one with a replacement would change it into
    another word."""
    from pipelines.cefr import split_sentences
    from pipelines.writing.spans import CheckContext
    from pipelines.writing.spelling import check_spelling

    texts = [paragraph for name, paragraph in paragraphs if name == source][after:]
    slips = prose_slips()
    words = used = 0
    flagged, replaced, changed, corrected, miscorrected = [], [], [], [], []
    for paragraph in texts:
        if words >= limit:
            break
        used += 1
        ctx = CheckContext(paragraph, "en", split_sentences(paragraph, "en"))
        words += len(ctx.tokens)
        for err in check_spelling(ctx):
            original = paragraph[err.offset : err.offset + err.length]
            flagged.append(original)
            replaced += [original] if err.replacements else []
            if not (err.replacements and _changes_a_word(original, err.replacements[0])):
                continue
            change = f"{original} -> {err.replacements[0]}"
            meant = slips.get(original.lower())
            if meant is None:
                changed.append(change)
            else:
                (corrected if err.replacements[0].lower() == meant else miscorrected).append(change)
    return {
        "source": source,
        "after_paragraphs": after,
        "paragraphs": used,
        "words": words,
        "flagged": len(flagged),
        "with_replacement": len(replaced),
        "slips_corrected": len(corrected),
        "slips_miscorrected": miscorrected,
        "changed": len(changed),
        "per_100k_words": _per_100k(len(changed), words),
        "examples": changed[:30],
    }


def prose_slips(path: Path = PROSE_SLIPS) -> dict[str, str]:
    """The edited prose's own misspellings the bench meets, and the words they meant."""
    rows = [
        line.split("\t")
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    return {slip: meant for slip, meant, _slice in rows}


def run(quick: bool = False) -> dict[str, Any]:
    started = time.monotonic()
    items = load_feedback_set()
    tally = evaluate(items)
    ranking = suggestion_ranking()
    feedback_seconds = time.monotonic() - started
    precision = tally.true_found / tally.found if tally.found else 1.0
    recall = tally.recalled / tally.marked if tally.marked else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    started = time.monotonic()
    paragraphs = prose_paragraphs(QUICK_PROSE_WORDS if quick else None)
    words, prose_errors = prose_false_errors(paragraphs)
    spelling = spelling_on_prose(paragraphs, SPELLING_PROSE_WORDS[quick])
    spelling_next = spelling_on_prose(
        paragraphs, SPELLING_PROSE_WORDS[quick], after=spelling["paragraphs"]
    )
    spelling_technical = spelling_on_prose(
        paragraphs, SPELLING_TECHNICAL_WORDS[quick], source="debian readmes"
    )
    total = sum(words.values())
    return {
        "title": "Writing feedback (offline checks)",
        "feedback_set": {
            "texts": len(items),
            "clean_texts": sum(not item["errors"] for item in items),
            "marked_errors": tally.marked,
            "found_errors": tally.found,
            "precision": round(precision, 3),
            "recall": round(recall, 3),
            "f1": round(f1, 3),
            "kind_agreement": round(tally.type_right / tally.recalled, 3)
            if tally.recalled
            else None,
            "suggestions": tally.suggested,
            "suggestion_accuracy": round(tally.suggested_right / tally.suggested, 3)
            if tally.suggested
            else None,
            "correct_words_changed": len(tally.changed_correct),
            "spelling_ranking": ranking,
            "false_errors": tally.false,
            "missed": tally.missed,
            "seconds": round(feedback_seconds, 1),
        },
        "edited_prose": {
            "quick": quick,
            "paragraphs": len(paragraphs),
            "words": total,
            "words_by_source": dict(words),
            "checks": list(PROSE_CHECKS),
            "false_errors": len(prose_errors),
            "per_100k_words": _per_100k(len(prose_errors), total),
            "words_per_false_error": round(total / len(prose_errors)) if prose_errors else None,
            "by_check": dict(Counter(e["check"] for e in prose_errors)),
            "by_source": {
                source: dict(Counter(e["check"] for e in prose_errors if e["source"] == source))
                for source in words
            },
            "examples": prose_errors[:40],
            "spelling": spelling,
            "spelling_next": spelling_next,
            "spelling_technical": spelling_technical,
            "seconds": round(time.monotonic() - started, 1),
        },
    }


def _per_100k(count: int, words: int) -> float | None:
    return round(count / words * 100_000, 2) if words else None


def render(result: dict[str, Any]) -> str:
    fb, prose = result["feedback_set"], result["edited_prose"]
    lines = [
        f"### {result['title']}",
        "",
        f"Feedback set: {fb['texts']} learner texts ({fb['clean_texts']} without errors), "
        f"{fb['marked_errors']} errors marked by hand.",
        "",
        "| measure | value |",
        "|---|---|",
        f"| errors found | {fb['found_errors']} |",
        f"| precision | {fb['precision']:.3f} |",
        f"| recall | {fb['recall']:.3f} |",
        f"| F1 | {fb['f1']:.3f} |",
        f"| kind (category) agrees with the teacher's | {fb['kind_agreement']} |",
        f"| suggestion accuracy (first suggestion = teacher's correction) | "
        f"{fb['suggestion_accuracy']} of {fb['suggestions']} |",
        f"| correct words changed into another word | {fb['correct_words_changed']} |",
        f"| misspellings in context, first suggestion right: bigram model / frequency alone | "
        f"{fb['spelling_ranking']['context']} / {fb['spelling_ranking']['frequency']} of "
        f"{fb['spelling_ranking']['misspellings']} |",
        f"| edited prose: words checked{' (quick)' if prose['quick'] else ''} | "
        f"{prose['words']:,} |",
        f"| edited prose: errors reported (all counted false) | {prose['false_errors']} "
        f"({prose['per_100k_words']} per 100,000 words) |",
        *[
            f"| edited prose, dictionary spelling on {s['words']:,} words of {name}: words "
            f"flagged / given a replacement / the source's slips corrected / correct words "
            f"changed into another word | {s['flagged']} / {s['with_replacement']} / "
            f"{s['slips_corrected']} / {s['changed']} ({s['per_100k_words']} per 100,000 words) |"
            for name, s in (
                ("graded texts", prose["spelling"]),
                ("the graded texts that follow", prose["spelling_next"]),
                ("Debian README files", prose["spelling_technical"]),
            )
        ],
        "",
        "Missed (marked, not found): "
        + (", ".join(f"{m['original']!r} ({m['type']})" for m in fb["missed"]) or "none")
        + ".",
        "",
        "False errors on the feedback set: "
        + (", ".join(f"{e['original']!r} ({e['check']})" for e in fb["false_errors"]) or "none")
        + ".",
    ]
    lines += [
        "",
        "Edited prose, errors by source and check: "
        + "; ".join(
            f"{source} ({prose['words_by_source'][source]:,} words): "
            + (", ".join(f"{check} {n}" for check, n in counts.items()) or "none")
            for source, counts in prose["by_source"].items()
        )
        + ".",
    ]
    lines += [
        "",
        "Words the spelling check would change in graded texts: "
        + (", ".join(prose["spelling"]["examples"]) or "none")
        + "; in the graded texts "
        "that follow: "
        + (", ".join(prose["spelling_next"]["examples"]) or "none")
        + "; in Debian's README files: "
        + (", ".join(prose["spelling_technical"]["examples"]) or "none")
        + ".",
    ]
    if prose["examples"]:
        lines += ["", "Errors the grammar-type rules reported on edited prose (first 40):"]
        lines += [
            f'- {e["check"]}: {e["original"]!r} -> {e["replacement"]} in "...{e["context"]}..."'
            for e in prose["examples"]
        ]
    return "\n".join(lines)

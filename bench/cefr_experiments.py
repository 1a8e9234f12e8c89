"""Candidate changes to the English text-level model against the v3 recipe, same fold draws.

`python -m bench.cefr_experiments [--repeats 6] [--syntax] [--sample N ...] [--subsets
all,tags,parse] [--stacking] [--no-v3] [--cache DIR]`, or `--timing` alone for the CPU cost
of the level call and of each way of parsing. Prints numbers; ships nothing.

What is measured, every figure out of fold over texts (a text and its excerpts on the same side):

- `v3`: the v3 recipe (`pipelines.cefr.train._fit_parts`: short and long ordinal parts, each
  the average of its logistic and tree curves, mixed by length) without the temperatures,
  which never change the answered level, so accuracy and within-one are those the v3 training
  command printed for the same draws (`--repeats N`);
- `--syntax`: the same recipe reading the 51 measurements of `bench.cefr_syntax` from
  spaCy's small English pipeline, every text parsed whole;
- `--sample N`: the same, each text parsed only on its sentence sample of at most N words
  (`bench.cefr_syntax.sample_text`);
- `--subsets`: each parser variant also with only the tagger's measurements (`tags`: part of
  speech and fine-tag ratios, tag entropies) or only the parser's (`parse`: depth, distances,
  clauses, noun phrases...);
- `--stacking`: instead of averaging the logistic and tree curves, a Frank & Hall
  meta-model (per threshold a logistic regression on the logits of the four cumulative
  curves: short/long part x logistic/trees) chosen *cross-fitted*: the meta-model that
  levels one outer fold is fitted on the other folds' out-of-fold curves and labels only;
  `stacked` answers with it at every length, `stacked long` only from 200 words (the short
  part's average up to 100 words, both mixed between).

Besides whole texts, each variant levels the evaluation excerpts (30, 50, 80 and 150 words)
of the held-out texts of every fold, so that a change that helps long texts and hurts short
answers shows. The spread between fold draws is what a gain must beat (the adoption rule: a
mean gain larger than twice the draw-to-draw standard deviation, ahead on most draws).
Measurements are cached under `--cache` (default /tmp/cefr-experiments) because measuring and
parsing 9,339 texts and excerpts takes minutes.
"""

from __future__ import annotations

import argparse
import pickle
import random
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench import cefr_syntax as syntax
from pipelines.cefr import train as recipe
from pipelines.cefr.excerpts import excerpts
from pipelines.cefr.model import cumulative_to_levels, mixed


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


def syntax_columns(
    strings: dict[str, list[str]], cache: Path, budget: int | None
) -> dict[str, np.ndarray]:
    """SYNTAX_NAMES of every row: parsed whole (`budget` None) or on its sentence sample of
    at most `budget` words (`bench.cefr_syntax.sample_text`)."""
    path = cache / ("syntax.npz" if budget is None else f"syntax-sample-{budget}.npz")
    if path.exists():
        with np.load(path) as saved:
            return {key: saved[key] for key in strings}
    try:
        nlp = syntax.parser()
    except syntax.SyntaxModelError as exc:
        sys.exit(str(exc))
    out = {}
    for key, rows in strings.items():
        if budget is not None:
            rows = [syntax.sample_text(text, budget) for text in rows]
        out[key] = np.array(
            [syntax.syntax_measurements(doc) for doc in nlp.pipe(rows, batch_size=32)]
        )
    np.savez(path, **out)
    return out


SUBSETS = {
    "all": list(range(len(syntax.SYNTAX_NAMES))),
    # what the tagger alone gives: part-of-speech and fine-tag ratios and tag entropies
    "tags": [
        i for i, n in enumerate(syntax.SYNTAX_NAMES) if n.startswith(("parsed_pos_", "parsed_tag_"))
    ],
}
SUBSETS["parse"] = [i for i in SUBSETS["all"] if i not in SUBSETS["tags"]]


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


def out_of_fold_curves(measured: recipe.Measured, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(4, rows, 5) for the texts and for the evaluation excerpts of the held-out texts:
    short logistic, short trees, long logistic, long trees."""
    texts, evaluation = measured.texts, measured.evaluation
    out = np.zeros((4, len(texts.labels), 5))
    cut = np.zeros((4, len(evaluation.labels), 5))
    for train, test in recipe._text_folds(texts, 5, seed):
        rows = recipe.Rows.join(texts.take(train), measured.augment.of_texts(texts.texts[train]))
        fitted = recipe._fit_parts(rows)
        held = np.isin(evaluation.texts, texts.texts[test])
        for i, part in enumerate((fitted.short, fitted.long)):
            out[2 * i][test], out[2 * i + 1][test] = _curves(part, texts.matrix[test])
            cut[2 * i][held], cut[2 * i + 1][held] = _curves(part, evaluation.matrix[held])
    return out, cut


def _short_long(curves: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    short = 0.5 * cumulative_to_levels(curves[0]) + 0.5 * cumulative_to_levels(curves[1])
    long = 0.5 * cumulative_to_levels(curves[2]) + 0.5 * cumulative_to_levels(curves[3])
    return short, long


def v3_probabilities(curves: np.ndarray, words: np.ndarray) -> np.ndarray:
    short, long = _short_long(curves)
    return mixed(short, long, words, recipe.MIX_WORDS)


def _logits(curves: np.ndarray) -> np.ndarray:
    return np.hstack([np.log(np.clip(c, 1e-4, 1 - 1e-4) / np.clip(1 - c, 1e-4, 1)) for c in curves])


def stacked_probabilities(
    curves: np.ndarray, labels: np.ndarray, texts: recipe.Rows, seed: int, excerpt: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Frank & Hall meta-model on the four curves' logits, cross-fitted on the outer folds'
    whole texts; applied to those texts and to the evaluation excerpts of each held-out fold
    (`excerpt`: their curves, with `excerpt_texts` their source texts)."""
    from sklearn.linear_model import LogisticRegression

    features = _logits(curves)
    excerpt_curves, excerpt_texts = excerpt
    excerpt_features = _logits(excerpt_curves)
    out = np.zeros((len(labels), 6))
    cut = np.zeros((len(excerpt_texts), 6))
    for train, test in recipe._text_folds(texts, 5, seed):
        mean, scale = features[train].mean(axis=0), features[train].std(axis=0)
        held = np.isin(excerpt_texts, texts.texts[test])
        above, above_cut = [], []
        for k in range(5):
            meta = LogisticRegression(C=0.3, max_iter=5000)
            meta.fit((features[train] - mean) / scale, (labels[train] > k).astype(int))
            above.append(meta.predict_proba((features[test] - mean) / scale)[:, 1])
            above_cut.append(meta.predict_proba((excerpt_features[held] - mean) / scale)[:, 1])
        out[test] = cumulative_to_levels(np.column_stack(above))
        cut[held] = cumulative_to_levels(np.column_stack(above_cut))
    return out, cut


def timing(runs: int = 20) -> None:
    """CPU time (process_time, p50 over `runs` corpus texts cut to 500 words) of the shipped
    level call and of each way of parsing, in the same run so that their ratios hold under
    load; scaled to the shipped call's idle figure in README."""
    from pipelines.cefr import text_level

    texts, _ = recipe.load_corpus()
    long = [t for t in texts if len(t.split()) > 520]
    chosen = [" ".join(t.split()[:500]) for t in long[:: max(1, len(long) // runs)][:runs]]
    nlp = syntax.parser()
    steps: dict[str, Any] = {
        "level call (cefr-text-model-v3)": lambda s: text_level(s, "en"),
        "tokenizer only": nlp.make_doc,
        "tok2vec only": lambda s: _only(nlp, ["tok2vec"], s),
        "tagger only (tok2vec, tagger, attribute_ruler)": lambda s: _only(
            nlp, ["tok2vec", "tagger", "attribute_ruler"], s
        ),
        "full pipeline (+ parser)": nlp,
        "full pipeline + 51 measurements": lambda s: syntax.syntax_vector(s, None),
        **{
            f"sample of <= {n} words + measurements": (lambda s, n=n: syntax.syntax_vector(s, n))
            for n in (60, 80, 100, 120, 150)
        },
    }
    for text in chosen[:3]:  # warm: model and word caches loaded
        for step in steps.values():
            step(text)
    spent: dict[str, list[float]] = {name: [] for name in steps}
    for text in chosen:
        for name, step in steps.items():
            began = time.process_time()
            step(text)
            spent[name].append((time.process_time() - began) * 1000)
    base = float(np.median(spent["level call (cefr-text-model-v3)"]))
    for name, values in spent.items():
        p50 = float(np.median(values))
        print(f"{name:<48} p50 {p50:7.2f} ms CPU  ({p50 / base:.2f}x the level call)")


def _only(nlp: Any, pipes: list[str], text: str) -> Any:
    with nlp.select_pipes(enable=pipes):
        return nlp(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.cefr_experiments", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--repeats", type=int, default=6)
    parser.add_argument("--syntax", action="store_true", help="parse every text whole")
    parser.add_argument(
        "--sample",
        type=int,
        action="append",
        default=[],
        help="parse a sentence sample of at most this many words (repeatable)",
    )
    parser.add_argument(
        "--subsets",
        default="all",
        help="comma-separated subsets of the parser's measurements: all, tags, parse",
    )
    parser.add_argument("--no-v3", action="store_true", help="skip v3 itself (printed before)")
    parser.add_argument("--stacking", action="store_true")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/cefr-experiments"))
    parser.add_argument(
        "--timing", action="store_true", help="only time the level call and the parses"
    )
    args = parser.parse_args(argv)
    if args.timing:
        timing()
        return 0
    measured, strings = measured_corpus(args.cache)
    variants = {} if args.no_v3 else {"v3": measured}
    budgets: list[int | None] = ([None] if args.syntax else []) + list(args.sample)
    for budget in budgets:
        columns = syntax_columns(strings, args.cache, budget)
        for subset in args.subsets.split(","):
            picked = {key: value[:, SUBSETS[subset]] for key, value in columns.items()}
            name = "syntax" if budget is None else f"syntax<={budget}w"
            variants[f"v3 + {name}" + ("" if subset == "all" else f" ({subset})")] = with_columns(
                measured, picked
            )
    labels, words = measured.texts.labels, measured.texts.words
    evaluation = measured.evaluation
    results: dict[str, list[float]] = {}
    within: dict[str, list[float]] = {}
    short: dict[str, dict[int, list[float]]] = {}
    for name, rows in variants.items():
        for k in range(args.repeats):
            started = time.monotonic()
            seed = recipe.SEED + k
            curves, cut = out_of_fold_curves(rows, seed)
            answers = {
                name: (v3_probabilities(curves, words), v3_probabilities(cut, evaluation.words))
            }
            if args.stacking:
                stacked, stacked_cut = stacked_probabilities(
                    curves, labels, rows.texts, seed, (cut, evaluation.texts)
                )
                answers[f"{name}, stacked"] = (stacked, stacked_cut)
                # short answers from the averaged short part, as v3; the meta-model from 200 words
                short_part, _ = _short_long(cut)
                short_whole, _ = _short_long(curves)
                answers[f"{name}, stacked long"] = (
                    mixed(short_whole, stacked, words, recipe.MIX_WORDS),
                    mixed(short_part, stacked_cut, evaluation.words, recipe.MIX_WORDS),
                )
            for label, (whole, excerpt) in answers.items():
                predicted = whole.argmax(axis=1)
                results.setdefault(label, []).append(float((predicted == labels).mean()))
                within.setdefault(label, []).append(float((abs(predicted - labels) <= 1).mean()))
                for n in recipe.EXCERPT_WORDS:
                    rows_n = evaluation.lengths == n
                    correct = excerpt[rows_n].argmax(axis=1) == evaluation.labels[rows_n]
                    short.setdefault(label, {}).setdefault(n, []).append(float(correct.mean()))
                print(
                    f"  {label}, draw {k}: accuracy {results[label][-1]:.3f}, within one "
                    f"{within[label][-1]:.3f}; excerpts "
                    + " ".join(f"{n}w {short[label][n][-1]:.3f}" for n in recipe.EXCERPT_WORDS)
                    + f" ({time.monotonic() - started:.0f} s)",
                    flush=True,
                )
    base = np.array(results["v3"]) if "v3" in results else None
    for label, values in results.items():
        acc = np.array(values)
        gain = (
            f"gain {np.mean(acc - base):+.4f} (sd {np.std(acc - base):.4f}, ahead "
            f"{int((acc > base).sum())}/{len(acc)}) "
            if base is not None
            else ""
        )
        print(
            f"{label:<36} accuracy {acc.mean():.4f} sd {acc.std():.4f} {gain}"
            f"within one {np.mean(within[label]):.4f}; excerpts "
            + " ".join(f"{n}w {np.mean(short[label][n]):.3f}" for n in recipe.EXCERPT_WORDS)
            + f" [{' '.join(f'{a:.3f}' for a in acc)}]"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

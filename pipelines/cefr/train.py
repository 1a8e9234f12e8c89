"""`python -m pipelines.cefr.train [--csv FILE] [--out DIR] [--folds 5] [--repeats 1]`: rebuild
the English text-level model from labelled texts and print its cross-validated figures.

Steps, all with a fixed seed so the same CSV gives the same files:
1. measure every text (`pipelines.cefr.vector.feature_vector`), and excerpts of it cut on
   sentence boundaries (`pipelines.cefr.excerpts`): training excerpts of 30 to 250 words, and
   separately drawn evaluation excerpts of 30, 50, 80 and 150 words;
2. 5-fold stratified cross-validation of the whole recipe, folds drawn over texts so that a
   text and its excerpts are always on the same side: the short part (both ordinal models on
   the training texts and their excerpts), the long part (the same on the training texts
   alone), their mix by length, and one temperature per length band fitted inside each
   training fold on that fold's own out-of-fold predictions (again grouped by text). Figures
   for whole texts (accuracy, within one level, quadratic weighted kappa, macro F1, confusion
   matrix, expected calibration error of the confidence) and for the held-out texts'
   evaluation excerpts by length; with `--repeats N`, the whole-text figures again for N-1
   other fold draws, and their mean and spread;
3. the same recipe on every text, written as `cefr-text-en-v3.json` (logistic coefficients,
   mix, temperatures, figures, data checksum) and one LightGBM text file per part and level
   threshold.

Default data: `pipelines/cefr/corpus/train.csv` (1,195 graded English texts; README and
licence beside it).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pipelines.cefr.evaluation import figures, render, render_spread, short_figures, spread
from pipelines.cefr.excerpts import EXCERPT_WORDS, excerpts
from pipelines.cefr.features import analyse_text
from pipelines.cefr.lexicon import LEVELS
from pipelines.cefr.model import (
    DEFAULT_ARTEFACT,
    METHOD,
    PARTS,
    OrdinalPart,
    band_index,
    calibrated,
    mixed,
)
from pipelines.cefr.vector import feature_names, feature_vector

CORPUS = Path(__file__).resolve().parent / "corpus" / "train.csv"
SEED = 20261129
LOGISTIC_C = 0.3
BLEND = (0.5, 0.5)  # logistic, trees
TREE_PARAMS: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.03,
    "num_leaves": 7,
    "min_child_samples": 10,
    "subsample": 0.8,
    "subsample_freq": 1,
    "colsample_bytree": 0.7,
    "n_estimators": 300,
    "verbose": -1,
    "n_jobs": 1,
    "deterministic": True,
    "force_row_wise": True,
}
# Confidence is calibrated per band of text length (words): upper edges, the last band open.
LENGTH_BANDS = (40, 65, 115, 250)
# Up to 100 words the short part levels a text, from 200 the long part, linearly between: the
# excerpts the short part is fitted on are 30 to about 170 words long.
MIX_WORDS = (100, 200)
AUGMENT_WORDS = EXCERPT_WORDS
AUGMENT_PER_LENGTH = 1
EXCERPT_WEIGHT = 1.0  # an excerpt counts as much as a whole text in the fit


@dataclass
class Rows:
    """Measured texts or excerpts: one row each, with the text it comes from."""

    matrix: np.ndarray
    labels: np.ndarray
    words: np.ndarray  # running words, as `text_level` counts them
    texts: np.ndarray  # index of the source text in the corpus
    lengths: np.ndarray  # wanted excerpt length; 0 for a whole text

    def take(self, mask: np.ndarray) -> Rows:
        return Rows(
            self.matrix[mask],
            self.labels[mask],
            self.words[mask],
            self.texts[mask],
            self.lengths[mask],
        )

    def of_texts(self, texts: np.ndarray) -> Rows:
        return self.take(np.isin(self.texts, texts))

    @staticmethod
    def join(*parts: Rows) -> Rows:
        return Rows(
            *(
                np.concatenate([getattr(p, f) for p in parts])
                for f in ("matrix", "labels", "words", "texts", "lengths")
            )
        )


@dataclass
class Measured:
    texts: Rows  # whole texts, in corpus order
    augment: Rows  # training excerpts
    evaluation: Rows  # evaluation excerpts (never fitted on)


@dataclass
class Fitted:
    """One fit of the recipe: what the artefact stores."""

    short: OrdinalPart  # fitted on texts and excerpts
    long: OrdinalPart  # fitted on whole texts
    temperatures: np.ndarray  # one per length band

    def mixed(self, matrix: np.ndarray, words: np.ndarray) -> np.ndarray:
        return mixed(self.short.predict(matrix), self.long.predict(matrix), words, MIX_WORDS)

    def probabilities(self, matrix: np.ndarray, words: np.ndarray) -> np.ndarray:
        temperatures = self.temperatures[band_index(np.array(LENGTH_BANDS), words)]
        return calibrated(self.mixed(matrix, words), temperatures)


def load_corpus(path: Path = CORPUS) -> tuple[list[str], np.ndarray]:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    unknown = {r["label"] for r in rows} - set(LEVELS)
    if unknown:
        raise ValueError(f"{path}: unknown labels {sorted(unknown)}")
    return [r["text"] for r in rows], np.array([LEVELS.index(r["label"]) for r in rows])


def measure(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The feature matrix and the word count of each text."""
    names = feature_names()
    matrix, words = [], []
    for text in texts:
        features = analyse_text(text, "en")
        vector = feature_vector(text, features)
        matrix.append([vector[n] for n in names])
        words.append(features.lexical.tokens)
    return np.array(matrix, dtype=float), np.array(words)


def measure_corpus(texts: list[str], labels: np.ndarray) -> Measured:
    """Whole texts, training excerpts and evaluation excerpts, each drawn with its own seeded
    generator per text so that adding a text changes no other text's excerpts."""

    def rows(pieces: list[tuple[int, int, str]]) -> Rows:
        matrix, words = measure([p[2] for p in pieces])
        index = np.array([p[0] for p in pieces], dtype=int)
        return Rows(matrix, labels[index], words, index, np.array([p[1] for p in pieces]))

    whole = rows([(i, 0, text) for i, text in enumerate(texts)])
    augment, evaluation = [], []
    for i, text in enumerate(texts):
        augment += [
            (i, n, cut)
            for n, cut in excerpts(
                text, AUGMENT_WORDS, random.Random(SEED * 11 + i), per_length=AUGMENT_PER_LENGTH
            )
        ]
        evaluation += [
            (i, n, cut) for n, cut in excerpts(text, EXCERPT_WORDS, random.Random(SEED * 7 + i))
        ]
    return Measured(whole, rows(augment), rows(evaluation))


def fit(rows: Rows, *, folds: int = 5) -> Fitted:
    """Both parts on all rows (the long one on the whole texts among them); the band
    temperatures from their mixed out-of-fold predictions, with folds drawn over source
    texts."""
    oof = np.zeros((len(rows.labels), len(LEVELS)))
    for train, test in _text_folds(rows, folds, SEED + 1):
        oof[test] = _fit_parts(rows.take(train)).mixed(rows.matrix[test], rows.words[test])
    fitted = _fit_parts(rows)
    bands = band_index(np.array(LENGTH_BANDS), rows.words)
    fitted.temperatures = np.array(
        [
            _fit_temperature(oof[bands == b], rows.labels[bands == b])
            for b in range(len(LENGTH_BANDS) + 1)
        ]
    )
    return fitted


def cross_validate(
    measured: Measured, *, folds: int = 5, seed: int = SEED
) -> tuple[dict[str, Any], np.ndarray]:
    """The whole recipe, refitted on each training fold's texts and their excerpts: figures
    for whole texts and, under `by_length`, for the held-out texts' evaluation excerpts."""
    texts, evaluation = measured.texts, measured.evaluation
    probabilities = np.zeros((len(texts.labels), len(LEVELS)))
    excerpt_probabilities = np.zeros((len(evaluation.labels), len(LEVELS)))
    for train, test in _text_folds(texts, folds, seed):
        train_texts = texts.texts[train]
        fitted = fit(
            Rows.join(texts.take(train), measured.augment.of_texts(train_texts)), folds=folds
        )
        probabilities[test] = fitted.probabilities(texts.matrix[test], texts.words[test])
        held = np.isin(evaluation.texts, texts.texts[test])
        excerpt_probabilities[held] = fitted.probabilities(
            evaluation.matrix[held], evaluation.words[held]
        )
    result = figures(texts.labels, probabilities)
    result["by_length"] = {
        str(n): short_figures(
            evaluation.labels[evaluation.lengths == n],
            excerpt_probabilities[evaluation.lengths == n],
        )
        for n in EXCERPT_WORDS
    }
    return result, probabilities


def write_artefact(fitted: Fitted, out: Path, *, cv: dict[str, Any], data: Path, rows: int) -> Path:
    """The JSON (coefficients, mix, temperatures, figures) and the tree files beside it."""
    import lightgbm
    import sklearn

    out.mkdir(parents=True, exist_ok=True)
    edges: list[int | None] = [*LENGTH_BANDS, None]
    spec = {
        "name": "cefr-text-en",
        "version": 3,
        "method": METHOD,
        "language": "en",
        "levels": list(LEVELS),
        "features": feature_names(),
        "mix": {"from_words": MIX_WORDS[0], "to_words": MIX_WORDS[1]},
        "calibration": [
            {"below_words": edge, "temperature": round(float(t), 6)}
            for edge, t in zip(edges, fitted.temperatures, strict=True)
        ],
        "parts": {
            name: _part_spec(name, part, out)
            for name, part in zip(PARTS, (fitted.short, fitted.long), strict=True)
        },
        "trained": {
            "data": data.name,
            "texts": cv["texts"],
            "rows": rows,
            "excerpts": {
                "words": list(AUGMENT_WORDS),
                "per_length": AUGMENT_PER_LENGTH,
                "weight": EXCERPT_WEIGHT,
                "part": "short",
            },
            "sha256": hashlib.sha256(data.read_bytes()).hexdigest(),
            "seed": SEED,
            "scikit_learn": sklearn.__version__,
            "lightgbm": lightgbm.__version__,
        },
        "cv": cv,
    }
    path = out / DEFAULT_ARTEFACT.name
    path.write_text(json.dumps(spec, indent=1) + "\n", encoding="utf-8")
    return path


def _part_spec(name: str, part: OrdinalPart, out: Path) -> dict[str, Any]:
    """One part's coefficients, and its tree files written beside the JSON."""
    tree_files = []
    for level, booster in zip(LEVELS[:-1], part.boosters, strict=True):
        tree_file = out / f"{DEFAULT_ARTEFACT.stem}.{name}.above-{level}.lgb.txt"
        tree_file.write_text(booster.model_to_string(num_iteration=-1), encoding="utf-8")
        tree_files.append(
            {
                "above": level,
                "file": tree_file.name,
                "sha256": hashlib.sha256(tree_file.read_bytes()).hexdigest(),
            }
        )
    return {
        "logistic": {
            "weight": BLEND[0],
            "C": LOGISTIC_C,
            "mean": _floats(part.mean),
            "scale": _floats(part.scale),
            "coef": [_floats(row) for row in part.coef],
            "intercept": _floats(part.intercept),
        },
        "trees": {"weight": BLEND[1], "thresholds": tree_files, "params": TREE_PARAMS},
    }


def _text_folds(rows: Rows, folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified folds over source texts, as row masks: a text's excerpts follow it."""
    from sklearn.model_selection import StratifiedKFold

    texts, first = np.unique(rows.texts, return_index=True)
    out = []
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=seed).split(
        texts, rows.labels[first]
    ):
        out.append((np.isin(rows.texts, texts[train]), np.isin(rows.texts, texts[test])))
    return out


def _fit_parts(rows: Rows) -> Fitted:
    """The short part on all rows, the long part on the whole texts among them."""
    return Fitted(
        short=_fit_ordinal(rows),
        long=_fit_ordinal(rows.take(rows.lengths == 0)),
        temperatures=np.ones(len(LENGTH_BANDS) + 1),
    )


def _fit_ordinal(rows: Rows) -> OrdinalPart:
    """For each threshold "above A1" .. "above C1", a logistic regression on standardised
    measurements and LightGBM trees (Frank & Hall's ordinal decomposition)."""
    import lightgbm
    from sklearn.linear_model import LogisticRegression

    matrix = rows.matrix
    weights = np.where(rows.lengths > 0, EXCERPT_WEIGHT, 1.0)
    mean = matrix.mean(axis=0)
    scale = matrix.std(axis=0)
    scale[scale == 0] = 1.0
    coef, intercept, boosters = [], [], []
    params = {k: v for k, v in TREE_PARAMS.items() if k != "objective"}
    for threshold in range(len(LEVELS) - 1):
        above = (rows.labels > threshold).astype(int)
        logistic = LogisticRegression(C=LOGISTIC_C, max_iter=10000)
        logistic.fit((matrix - mean) / scale, above, sample_weight=weights)
        coef.append(logistic.coef_[0])
        intercept.append(logistic.intercept_[0])
        trees = lightgbm.LGBMClassifier(random_state=SEED, **params)
        boosters.append(trees.fit(matrix, above, sample_weight=weights).booster_)
    return OrdinalPart(
        mean=mean,
        scale=scale,
        coef=np.array(coef),
        intercept=np.array(intercept),
        boosters=boosters,
        weights=BLEND,
    )


def _fit_temperature(probabilities: np.ndarray, labels: np.ndarray) -> float:
    """The temperature that minimises the log loss of out-of-fold predictions (grid, then
    golden-section refinement; deterministic)."""
    logs = np.log(np.clip(probabilities, 1e-12, 1.0))

    def loss(t: float) -> float:
        p = calibrated(np.exp(logs), t)
        return float(-np.log(np.clip(p[np.arange(len(labels)), labels], 1e-12, 1.0)).mean())

    grid = np.linspace(0.3, 3.0, 55)
    best = float(grid[int(np.argmin([loss(t) for t in grid]))])
    low, high = max(0.05, best - 0.05), best + 0.05
    ratio = (5**0.5 - 1) / 2
    for _ in range(40):
        a, b = high - ratio * (high - low), low + ratio * (high - low)
        if loss(a) < loss(b):
            high = b
        else:
            low = a
    return (low + high) / 2


def _floats(values: np.ndarray) -> list[float]:
    return [round(float(v), 8) for v in values]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pipelines.cefr.train", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--csv", type=Path, default=CORPUS, help="labelled texts (text,label)")
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_ARTEFACT.parent,
        help="folder for the artefact (default: the shipped one)",
    )
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument(
        "--repeats",
        type=int,
        default=1,
        help="cross-validate again over this many fold draws in all and print "
        "the spread (not stored)",
    )
    args = parser.parse_args(argv)
    started = time.monotonic()
    texts, labels = load_corpus(args.csv)
    measured = measure_corpus(texts, labels)
    print(
        f"measured {len(texts)} texts, {len(measured.augment.labels)} training and "
        f"{len(measured.evaluation.labels)} evaluation excerpts in "
        f"{time.monotonic() - started:.1f} s",
        flush=True,
    )
    cv, _ = cross_validate(measured, folds=args.folds)
    print(render(cv), flush=True)
    if args.repeats > 1:
        runs = [cv] + [
            cross_validate(measured, folds=args.folds, seed=SEED + k)[0]
            for k in range(1, args.repeats)
        ]
        print(render_spread(spread(runs)), flush=True)
    rows = Rows.join(measured.texts, measured.augment)
    fitted = fit(rows, folds=args.folds)
    path = write_artefact(fitted, args.out, cv=cv, data=args.csv, rows=len(rows.labels))
    print(
        "temperatures by length band "
        + ", ".join(f"{t:.3f}" for t in fitted.temperatures)
        + f"; written {path} ({time.monotonic() - started:.0f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

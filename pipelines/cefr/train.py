"""`python -m pipelines.cefr.train [--csv FILE] [--out DIR] [--folds 5]`: rebuild the English
text-level model from labelled texts and print its cross-validated figures.

Steps, all with a fixed seed so the same CSV gives the same files:
1. measure every text (`pipelines.cefr.vector.feature_vector`), and excerpts of it cut on
   sentence boundaries (`pipelines.cefr.excerpts`): training excerpts of 30 to 250 words, and
   separately drawn evaluation excerpts of 30, 50, 80 and 150 words;
2. 5-fold stratified cross-validation of the whole recipe, folds drawn over texts so that a
   text and its excerpts are always on the same side: both ordinal models fitted on the
   training texts and their excerpts, the blend, and one temperature per length band fitted
   inside each training fold on that fold's own out-of-fold predictions (again grouped by
   text). Figures for whole texts (accuracy, within one level, quadratic weighted kappa,
   macro F1, confusion matrix, expected calibration error of the confidence) and for the
   held-out texts' evaluation excerpts by length;
3. the same recipe on every text, written as `cefr-text-en-v2.json` (logistic coefficients,
   temperatures, figures, data checksum) and one LightGBM text file per level threshold.

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

from pipelines.cefr.excerpts import EXCERPT_WORDS, excerpts
from pipelines.cefr.features import analyse_text
from pipelines.cefr.lexicon import LEVELS
from pipelines.cefr.model import (
    DEFAULT_ARTEFACT,
    METHOD,
    band_index,
    calibrated,
    cumulative_to_levels,
)
from pipelines.cefr.vector import feature_names, feature_vector

CORPUS = Path(__file__).resolve().parent / "corpus" / "train.csv"
SEED = 20261129
LOGISTIC_C = 0.3
BLEND = (0.5, 0.5)  # logistic, trees
TREE_PARAMS: dict[str, Any] = {
    "objective": "binary", "learning_rate": 0.03,
    "num_leaves": 7, "min_child_samples": 10, "subsample": 0.8, "subsample_freq": 1,
    "colsample_bytree": 0.7, "n_estimators": 300, "verbose": -1, "n_jobs": 1,
    "deterministic": True, "force_row_wise": True,
}
# Confidence is calibrated per band of text length (words): upper edges, the last band open.
LENGTH_BANDS = (40, 65, 115, 250)
AUGMENT_WORDS = EXCERPT_WORDS
AUGMENT_PER_LENGTH = 1
EXCERPT_WEIGHT = 1.0  # an excerpt counts as much as a whole text in the fit
CALIBRATION_BINS = 10


@dataclass
class Rows:
    """Measured texts or excerpts: one row each, with the text it comes from."""

    matrix: np.ndarray
    labels: np.ndarray
    words: np.ndarray  # running words, as `text_level` counts them
    texts: np.ndarray  # index of the source text in the corpus
    lengths: np.ndarray  # wanted excerpt length; 0 for a whole text

    def take(self, mask: np.ndarray) -> Rows:
        return Rows(self.matrix[mask], self.labels[mask], self.words[mask], self.texts[mask],
                    self.lengths[mask])

    def of_texts(self, texts: np.ndarray) -> Rows:
        return self.take(np.isin(self.texts, texts))

    @staticmethod
    def join(*parts: Rows) -> Rows:
        return Rows(*(np.concatenate([getattr(p, f) for p in parts]) for f in
                      ("matrix", "labels", "words", "texts", "lengths")))


@dataclass
class Measured:
    texts: Rows  # whole texts, in corpus order
    augment: Rows  # training excerpts
    evaluation: Rows  # evaluation excerpts (never fitted on)


@dataclass
class Fitted:
    """One fit of the recipe: what the artefact stores."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray  # one row per threshold "above A1" .. "above C1"
    intercept: np.ndarray
    boosters: list[Any]  # one per threshold
    temperatures: np.ndarray  # one per length band

    def probabilities(self, matrix: np.ndarray, words: np.ndarray) -> np.ndarray:
        temperatures = self.temperatures[band_index(np.array(LENGTH_BANDS), words)]
        return calibrated(_blend(self, matrix), temperatures)


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
        augment += [(i, n, cut) for n, cut in excerpts(
            text, AUGMENT_WORDS, random.Random(SEED * 11 + i), per_length=AUGMENT_PER_LENGTH)]
        evaluation += [(i, n, cut) for n, cut in excerpts(
            text, EXCERPT_WORDS, random.Random(SEED * 7 + i))]
    return Measured(whole, rows(augment), rows(evaluation))


def fit(rows: Rows, *, folds: int = 5) -> Fitted:
    """Both models on all rows; the band temperatures from their out-of-fold predictions,
    with folds drawn over source texts."""
    oof = np.zeros((len(rows.labels), len(LEVELS)))
    for train, test in _text_folds(rows, folds, SEED + 1):
        oof[test] = _blend(_fit_models(rows.take(train)), rows.matrix[test])
    models = _fit_models(rows)
    bands = band_index(np.array(LENGTH_BANDS), rows.words)
    models.temperatures = np.array([_fit_temperature(oof[bands == b], rows.labels[bands == b])
                                    for b in range(len(LENGTH_BANDS) + 1)])
    return models


def cross_validate(measured: Measured, *, folds: int = 5
                   ) -> tuple[dict[str, Any], np.ndarray]:
    """The whole recipe, refitted on each training fold's texts and their excerpts: figures
    for whole texts and, under `by_length`, for the held-out texts' evaluation excerpts."""
    texts, evaluation = measured.texts, measured.evaluation
    probabilities = np.zeros((len(texts.labels), len(LEVELS)))
    excerpt_probabilities = np.zeros((len(evaluation.labels), len(LEVELS)))
    for train, test in _text_folds(texts, folds, SEED):
        train_texts = texts.texts[train]
        fitted = fit(Rows.join(texts.take(train), measured.augment.of_texts(train_texts)),
                     folds=folds)
        probabilities[test] = fitted.probabilities(texts.matrix[test], texts.words[test])
        held = np.isin(evaluation.texts, texts.texts[test])
        excerpt_probabilities[held] = fitted.probabilities(evaluation.matrix[held],
                                                           evaluation.words[held])
    result = figures(texts.labels, probabilities)
    result["by_length"] = {
        str(n): _short_figures(evaluation.labels[evaluation.lengths == n],
                               excerpt_probabilities[evaluation.lengths == n])
        for n in EXCERPT_WORDS
    }
    return result, probabilities


def figures(labels: np.ndarray, probabilities: np.ndarray) -> dict[str, Any]:
    """Accuracy, within-one, QWK, macro F1, confusion matrix and calibration error."""
    from sklearn.metrics import cohen_kappa_score, confusion_matrix, f1_score

    predicted = probabilities.argmax(axis=1)
    return {
        "texts": int(len(labels)),
        "accuracy": round(float((predicted == labels).mean()), 3),
        "within_one": round(float((np.abs(predicted - labels) <= 1).mean()), 3),
        "qwk": round(float(cohen_kappa_score(labels, predicted, weights="quadratic")), 3),
        "macro_f1": round(float(f1_score(labels, predicted, average="macro")), 3),
        "ece": round(expected_calibration_error(labels, probabilities), 3),
        "confusion": confusion_matrix(labels, predicted,
                                      labels=range(len(LEVELS))).tolist(),
    }


def _short_figures(labels: np.ndarray, probabilities: np.ndarray) -> dict[str, Any]:
    full = figures(labels, probabilities)
    return {"excerpts": full["texts"], "accuracy": full["accuracy"],
            "within_one": full["within_one"], "qwk": full["qwk"], "ece": full["ece"],
            "mean_confidence": round(float(probabilities.max(axis=1).mean()), 3)}


def expected_calibration_error(labels: np.ndarray, probabilities: np.ndarray,
                               bins: int = CALIBRATION_BINS) -> float:
    """Mean |accuracy - confidence| over equal-width confidence bins, weighted by bin size."""
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == labels
    edges = np.linspace(0.0, 1.0, bins + 1)
    total = 0.0
    for low, high in zip(edges[:-1], edges[1:], strict=True):
        members = (confidence > low) & (confidence <= high)
        if members.any():
            total += members.mean() * abs(correct[members].mean() - confidence[members].mean())
    return float(total)


def write_artefact(fitted: Fitted, out: Path, *, cv: dict[str, Any], data: Path,
                   rows: int) -> Path:
    """The JSON (coefficients, temperatures, figures) and the tree files beside it."""
    out.mkdir(parents=True, exist_ok=True)
    stem = DEFAULT_ARTEFACT.stem
    tree_files = []
    for level, booster in zip(LEVELS[:-1], fitted.boosters, strict=True):
        tree_file = out / f"{stem}.above-{level}.lgb.txt"
        tree_file.write_text(booster.model_to_string(num_iteration=-1), encoding="utf-8")
        tree_files.append({"above": level, "file": tree_file.name,
                           "sha256": hashlib.sha256(tree_file.read_bytes()).hexdigest()})
    import lightgbm
    import sklearn

    edges: list[int | None] = [*LENGTH_BANDS, None]
    spec = {
        "name": "cefr-text-en",
        "version": 2,
        "method": METHOD,
        "language": "en",
        "levels": list(LEVELS),
        "features": feature_names(),
        "calibration": [{"below_words": edge, "temperature": round(float(t), 6)}
                        for edge, t in zip(edges, fitted.temperatures, strict=True)],
        "logistic": {
            "weight": BLEND[0], "C": LOGISTIC_C,
            "mean": _floats(fitted.mean), "scale": _floats(fitted.scale),
            "coef": [_floats(row) for row in fitted.coef], "intercept": _floats(fitted.intercept),
        },
        "trees": {"weight": BLEND[1], "thresholds": tree_files, "params": TREE_PARAMS},
        "trained": {"data": data.name, "texts": cv["texts"], "rows": rows,
                    "excerpts": {"words": list(AUGMENT_WORDS), "per_length": AUGMENT_PER_LENGTH,
                                 "weight": EXCERPT_WEIGHT},
                    "sha256": hashlib.sha256(data.read_bytes()).hexdigest(), "seed": SEED,
                    "scikit_learn": sklearn.__version__, "lightgbm": lightgbm.__version__},
        "cv": cv,
    }
    path = out / DEFAULT_ARTEFACT.name
    path.write_text(json.dumps(spec, indent=1) + "\n", encoding="utf-8")
    return path


def render(cv: dict[str, Any]) -> str:
    lines = [
        f"5-fold stratified cross-validation on {cv['texts']} texts:",
        f"  accuracy {cv['accuracy']:.3f}  within one level {cv['within_one']:.3f}  "
        f"QWK {cv['qwk']:.3f}  macro F1 {cv['macro_f1']:.3f}  calibration error {cv['ece']:.3f}",
        "  confusion (rows: label, columns: predicted)",
        "        " + " ".join(f"{lv:>4}" for lv in LEVELS),
    ]
    for level, row in zip(LEVELS, cv["confusion"], strict=True):
        lines.append(f"    {level}  " + " ".join(f"{n:>4}" for n in row))
    lines.append("  excerpts of the held-out texts, by length:")
    for words, f in cv["by_length"].items():
        lines.append(f"    {words:>4} words ({f['excerpts']} excerpts): accuracy "
                     f"{f['accuracy']:.3f}  within one {f['within_one']:.3f}  "
                     f"QWK {f['qwk']:.3f}  calibration error {f['ece']:.3f}")
    return "\n".join(lines)


def _text_folds(rows: Rows, folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified folds over source texts, as row masks: a text's excerpts follow it."""
    from sklearn.model_selection import StratifiedKFold

    texts, first = np.unique(rows.texts, return_index=True)
    out = []
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=seed).split(
            texts, rows.labels[first]):
        out.append((np.isin(rows.texts, texts[train]), np.isin(rows.texts, texts[test])))
    return out


def _fit_models(rows: Rows) -> Fitted:
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
    return Fitted(mean=mean, scale=scale, coef=np.array(coef), intercept=np.array(intercept),
                  boosters=boosters, temperatures=np.ones(len(LENGTH_BANDS) + 1))


def _blend(fitted: Fitted, matrix: np.ndarray) -> np.ndarray:
    logits = ((matrix - fitted.mean) / fitted.scale) @ fitted.coef.T + fitted.intercept
    linear = cumulative_to_levels(1.0 / (1.0 + np.exp(-logits)))
    trees = cumulative_to_levels(np.column_stack(
        [b.predict(matrix, num_threads=1) for b in fitted.boosters]))
    return BLEND[0] * linear + BLEND[1] * trees


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
    ratio = (5 ** 0.5 - 1) / 2
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
    parser = argparse.ArgumentParser(prog="python -m pipelines.cefr.train",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--csv", type=Path, default=CORPUS, help="labelled texts (text,label)")
    parser.add_argument("--out", type=Path, default=DEFAULT_ARTEFACT.parent,
                        help="folder for the artefact (default: the shipped one)")
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args(argv)
    started = time.monotonic()
    texts, labels = load_corpus(args.csv)
    measured = measure_corpus(texts, labels)
    print(f"measured {len(texts)} texts, {len(measured.augment.labels)} training and "
          f"{len(measured.evaluation.labels)} evaluation excerpts in "
          f"{time.monotonic() - started:.1f} s", flush=True)
    cv, _ = cross_validate(measured, folds=args.folds)
    print(render(cv), flush=True)
    rows = Rows.join(measured.texts, measured.augment)
    fitted = fit(rows, folds=args.folds)
    path = write_artefact(fitted, args.out, cv=cv, data=args.csv, rows=len(rows.labels))
    print("temperatures by length band " + ", ".join(f"{t:.3f}" for t in fitted.temperatures)
          + f"; written {path} ({time.monotonic() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`python -m pipelines.cefr.train [--csv FILE] [--out DIR] [--folds 5]`: rebuild the English
text-level model from labelled texts and print its cross-validated figures.

Steps, all with a fixed seed so the same CSV gives the same files:
1. measure every text (`pipelines.cefr.vector.feature_vector`);
2. 5-fold stratified cross-validation of the whole recipe (both models, the blend and the
   temperature, which is fitted inside each training fold on that fold's own out-of-fold
   predictions): accuracy, within one level, quadratic weighted kappa, macro F1, confusion
   matrix, expected calibration error of the confidence;
3. the same recipe on every text, written as `cefr-text-en-v1.json` (logistic coefficients,
   temperature, figures, data checksum) and `cefr-text-en-v1.lgb.txt` (LightGBM's text format).

Default data: `pipelines/cefr/corpus/train.csv` (1,195 graded English texts; README and
licence beside it).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pipelines.cefr.lexicon import LEVELS
from pipelines.cefr.model import DEFAULT_ARTEFACT, METHOD, calibrated, softmax
from pipelines.cefr.vector import feature_names, feature_vector

CORPUS = Path(__file__).resolve().parent / "corpus" / "train.csv"
SEED = 20261129
LOGISTIC_C = 0.3
BLEND = (0.5, 0.5)  # logistic, trees
TREE_PARAMS: dict[str, Any] = {
    "objective": "multiclass", "num_class": len(LEVELS), "learning_rate": 0.03,
    "num_leaves": 7, "min_child_samples": 10, "subsample": 0.8, "subsample_freq": 1,
    "colsample_bytree": 0.7, "n_estimators": 300, "verbose": -1, "n_jobs": 1,
    "deterministic": True, "force_row_wise": True,
}
CALIBRATION_BINS = 10


@dataclass
class Fitted:
    """One fit of the recipe: what the artefact stores."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray
    booster: Any
    temperature: float

    def probabilities(self, matrix: np.ndarray) -> np.ndarray:
        return calibrated(_blend(self, matrix), self.temperature)


def load_corpus(path: Path = CORPUS) -> tuple[list[str], np.ndarray]:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    unknown = {r["label"] for r in rows} - set(LEVELS)
    if unknown:
        raise ValueError(f"{path}: unknown labels {sorted(unknown)}")
    return [r["text"] for r in rows], np.array([LEVELS.index(r["label"]) for r in rows])


def measure(texts: list[str]) -> np.ndarray:
    names = feature_names()
    return np.array([[v[n] for n in names] for v in map(feature_vector, texts)], dtype=float)


def fit(matrix: np.ndarray, labels: np.ndarray, *, folds: int = 5) -> Fitted:
    """Both models on all rows; the temperature from their out-of-fold predictions."""
    from sklearn.model_selection import StratifiedKFold

    oof = np.zeros((len(labels), len(LEVELS)))
    inner = StratifiedKFold(folds, shuffle=True, random_state=SEED + 1)
    for train, test in inner.split(matrix, labels):
        oof[test] = _blend(_fit_models(matrix[train], labels[train]), matrix[test])
    models = _fit_models(matrix, labels)
    models.temperature = _fit_temperature(oof, labels)
    return models


def cross_validate(matrix: np.ndarray, labels: np.ndarray, *, folds: int = 5
                   ) -> tuple[dict[str, Any], np.ndarray]:
    """The whole recipe, refitted on each training fold; figures and out-of-fold probabilities."""
    from sklearn.model_selection import StratifiedKFold

    probabilities = np.zeros((len(labels), len(LEVELS)))
    outer = StratifiedKFold(folds, shuffle=True, random_state=SEED)
    for train, test in outer.split(matrix, labels):
        probabilities[test] = fit(matrix[train], labels[train], folds=folds).probabilities(
            matrix[test])
    return figures(labels, probabilities), probabilities


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


def write_artefact(fitted: Fitted, out: Path, *, cv: dict[str, Any], data: Path) -> Path:
    """The JSON (coefficients, temperature, figures) and the tree file beside it."""
    out.mkdir(parents=True, exist_ok=True)
    stem = DEFAULT_ARTEFACT.stem
    tree_file = out / f"{stem}.lgb.txt"
    tree_text = fitted.booster.model_to_string(num_iteration=-1)
    tree_file.write_text(tree_text, encoding="utf-8")
    import lightgbm
    import sklearn

    spec = {
        "name": "cefr-text-en",
        "version": 1,
        "method": METHOD,
        "language": "en",
        "levels": list(LEVELS),
        "features": feature_names(),
        "temperature": round(fitted.temperature, 6),
        "logistic": {
            "weight": BLEND[0], "C": LOGISTIC_C,
            "mean": _floats(fitted.mean), "scale": _floats(fitted.scale),
            "coef": [_floats(row) for row in fitted.coef], "intercept": _floats(fitted.intercept),
        },
        "trees": {"weight": BLEND[1], "file": tree_file.name,
                  "sha256": hashlib.sha256(tree_file.read_bytes()).hexdigest(),
                  "params": TREE_PARAMS},
        "trained": {"data": data.name, "rows": cv["texts"],
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
    return "\n".join(lines)


def _fit_models(matrix: np.ndarray, labels: np.ndarray) -> Fitted:
    import lightgbm
    from sklearn.linear_model import LogisticRegression

    mean = matrix.mean(axis=0)
    scale = matrix.std(axis=0)
    scale[scale == 0] = 1.0
    logistic = LogisticRegression(C=LOGISTIC_C, max_iter=10000)
    logistic.fit((matrix - mean) / scale, labels)
    params = {k: v for k, v in TREE_PARAMS.items() if k not in ("objective", "num_class")}
    trees = lightgbm.LGBMClassifier(random_state=SEED, **params).fit(matrix, labels)
    return Fitted(mean=mean, scale=scale, coef=logistic.coef_, intercept=logistic.intercept_,
                  booster=trees.booster_, temperature=1.0)


def _blend(fitted: Fitted, matrix: np.ndarray) -> np.ndarray:
    logits = ((matrix - fitted.mean) / fitted.scale) @ fitted.coef.T + fitted.intercept
    return BLEND[0] * softmax(logits) + BLEND[1] * fitted.booster.predict(matrix, num_threads=1)


def _fit_temperature(probabilities: np.ndarray, labels: np.ndarray) -> float:
    """The temperature that minimises the log loss of out-of-fold predictions (grid, then
    golden-section refinement; deterministic)."""
    logs = np.log(np.clip(probabilities, 1e-12, 1.0))

    def loss(t: float) -> float:
        p = softmax(logs / t)
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
    matrix = measure(texts)
    print(f"measured {len(texts)} texts in {time.monotonic() - started:.1f} s", flush=True)
    cv, _ = cross_validate(matrix, labels, folds=args.folds)
    print(render(cv), flush=True)
    fitted = fit(matrix, labels, folds=args.folds)
    path = write_artefact(fitted, args.out, cv=cv, data=args.csv)
    print(f"temperature {fitted.temperature:.3f}; written {path} "
          f"({time.monotonic() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

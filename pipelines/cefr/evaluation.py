"""Figures of a level model's out-of-fold answers, as the training command and the bench print
them: accuracy, within one level, quadratic weighted kappa, macro F1, confusion matrix and the
expected calibration error of the confidence (the probability of the answer)."""

from __future__ import annotations

from typing import Any

import numpy as np

from pipelines.cefr.lexicon import LEVELS

CALIBRATION_BINS = 10


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
        "confusion": confusion_matrix(labels, predicted, labels=range(len(LEVELS))).tolist(),
    }


def short_figures(labels: np.ndarray, probabilities: np.ndarray) -> dict[str, Any]:
    full = figures(labels, probabilities)
    return {
        "excerpts": full["texts"],
        "accuracy": full["accuracy"],
        "within_one": full["within_one"],
        "qwk": full["qwk"],
        "ece": full["ece"],
        "mean_confidence": round(float(probabilities.max(axis=1).mean()), 3),
    }


def expected_calibration_error(
    labels: np.ndarray, probabilities: np.ndarray, bins: int = CALIBRATION_BINS
) -> float:
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
        lines.append(
            f"    {words:>4} words ({f['excerpts']} excerpts): accuracy "
            f"{f['accuracy']:.3f}  within one {f['within_one']:.3f}  "
            f"QWK {f['qwk']:.3f}  calibration error {f['ece']:.3f}"
        )
    return "\n".join(lines)


def spread(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Mean, standard deviation and range of the whole-text figures over repeated
    cross-validations (other fold draws of the same recipe)."""
    out: dict[str, Any] = {"repeats": len(runs)}
    for key in ("accuracy", "within_one", "qwk", "macro_f1", "ece"):
        values = np.array([run[key] for run in runs], dtype=float)
        out[key] = {
            "mean": round(float(values.mean()), 3),
            "sd": round(float(values.std()), 3),
            "min": round(float(values.min()), 3),
            "max": round(float(values.max()), 3),
        }
    return out


def render_spread(summary: dict[str, Any]) -> str:
    return f"repeated over {summary['repeats']} fold draws (mean, sd, min-max):\n" + "\n".join(
        f"  {key:<10} {f['mean']:.3f}  sd {f['sd']:.3f}  {f['min']:.3f}-{f['max']:.3f}"
        for key, f in summary.items()
        if key != "repeats"
    )

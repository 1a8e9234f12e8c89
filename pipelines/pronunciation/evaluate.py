"""Figures of the pronunciation model against the experts: shared by training and the bench."""

from __future__ import annotations

from typing import Any

import numpy as np

CORRECT = 8
TARGET_NAMES = {
    "accuracy": "accuracy",
    "fluency": "fluency",
    "prosodic": "prosodic",
    "total": "total",
}


def pearson(a: list[float], b: list[float]) -> float:
    if len(a) < 3 or np.std(a) == 0 or np.std(b) == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def evaluate(records: list[dict], predictions: dict[str, dict]) -> dict[str, Any]:
    """Correlations per score, word acceptance and mispronunciation/omission detection."""
    scored = [r for r in records if predictions.get(r["file"], {}).get("scores")]
    correlations = {}
    for target in TARGET_NAMES:
        expert = [r["labels"][target] for r in scored]
        ours = [predictions[r["file"]]["scores"][target] for r in scored]
        correlations[target] = round(pearson(expert, ours), 3)
    decisions = [
        d for r in scored for d in predictions[r["file"]]["words"] if d["label"] is not None
    ]
    correct = [d for d in decisions if d["label"] >= CORRECT]
    truth = np.array([d["label"] < CORRECT for d in decisions])
    flagged = np.array([d["error"] is not None for d in decisions])
    tp = float((flagged & truth).sum())
    precision = tp / flagged.sum() if flagged.sum() else 0.0
    recall = tp / truth.sum() if truth.sum() else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    # Every word of the corpus was read (experts' completeness 10): any omission is false.
    omissions = sum(d["error"] == "omission" for d in decisions)
    per_clip = []
    for r in scored:
        ws = [d for d in predictions[r["file"]]["words"] if d["label"] is not None]
        ok = [d for d in ws if d["label"] >= CORRECT]
        if ok:
            per_clip.append(sum(d["error"] is None for d in ok) / len(ok))
    return {
        "clips": len(records),
        "clips_scored": len(scored),
        "speakers": len({r["speaker"] for r in records}),
        "pearson": correlations,
        "words": len(decisions),
        "correct_words": len(correct),
        "correct_accepted": round(
            sum(d["error"] is None for d in correct) / max(1, len(correct)), 4
        ),
        "correct_accepted_per_clip_mean": round(float(np.mean(per_clip)), 4) if per_clip else None,
        "mispronounced_words": int(truth.sum()),
        "mispronounced_detection": {
            "precision": round(precision, 3),
            "recall": round(recall, 3),
            "f1": round(f1, 3),
        },
        "false_omissions": omissions,
        "false_omission_rate": round(omissions / max(1, len(decisions)), 4),
    }


def render_cv(cv: dict[str, Any]) -> str:
    p = cv["pearson"]
    d = cv["mispronounced_detection"]
    return "\n".join(
        [
            f"leave-one-speaker-out CV on {cv['clips_scored']}/{cv['clips']} clips, "
            f"{cv['speakers']} speakers",
            "Pearson with experts: " + ", ".join(f"{k} {v:.3f}" for k, v in p.items()),
            f"expert-correct words accepted: {cv['correct_accepted']:.1%} of {cv['correct_words']}",
            f"mispronounced words ({cv['mispronounced_words']}): precision {d['precision']:.2f} "
            f"recall {d['recall']:.2f} F1 {d['f1']:.2f}",
            f"false omissions: {cv['false_omissions']} of {cv['words']} words",
        ]
        + (
            [
                "encoder states alone, Pearson with experts: "
                + ", ".join(f"{k} {v:.3f}" for k, v in cv["encoder_alone"].items())
            ]
            if "encoder_alone" in cv
            else []
        )
    )

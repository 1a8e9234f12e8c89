"""Text levels against the labelled English texts: the fitted model, cross-validated, beside the
heuristic it replaced (applied as is, nothing fitted) and the corpus's published figures.

Measured on `pipelines/cefr/corpus/train.csv` (1,195 graded reading texts, A1..C2) with the
training command's own 5-fold stratified cross-validation: each fold's model never saw the
texts it levels, nor any excerpt of them. Short texts are measured on excerpts of the
held-out texts (30, 50, 80 and 150 words, cut on sentence boundaries, labelled with their
text's level; `pipelines.cefr.excerpts`), because learners' answers are that long while the
corpus texts are not. Inference time is for a 500-word text on one thread after a warm-up, p50 of
repeated runs, with the heuristic on the same text as the baseline of the same run: wall-clock
time, and the CPU time of the thread, which other jobs on a shared machine inflate less.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

import numpy as np

from pipelines.cefr import LEVELS, analyse_text, estimate_level, text_level
from pipelines.cefr.evaluation import figures
from pipelines.cefr.model import METHOD
from pipelines.cefr.train import cross_validate, load_corpus, measure_corpus

# Montgomerie (2021), on a held-out 20 % of the same corpus (see the corpus README).
PUBLISHED = {
    "gradient-boosted trees, hand-made features (published)": 0.709,
    "fine-tuned BERT (published)": 0.686,
    "best readability formula (published)": 0.418,
}


def run(quick: bool = False) -> dict[str, Any]:
    texts, labels = load_corpus()
    started = time.monotonic()
    model, _ = cross_validate(measure_corpus(texts, labels))
    model["seconds"] = round(time.monotonic() - started, 1)
    heuristic = _heuristic(texts, labels)
    return {
        "model": model,
        "heuristic": heuristic,
        "published": PUBLISHED,
        "timing": _timing(texts, runs=20 if quick else 100),
    }


def _heuristic(texts: list[str], labels: np.ndarray) -> dict[str, Any]:
    """The old thresholds as one-hot answers (their confidence is no probability: no ECE)."""
    answers = np.zeros((len(texts), len(LEVELS)))
    for i, text in enumerate(texts):
        answers[i, LEVELS.index(estimate_level(analyse_text(text, "en")).level)] = 1.0
    result = figures(labels, answers)
    result["ece"] = None
    return result


def _timing(texts: list[str], runs: int) -> dict[str, Any]:
    words = " ".join(texts[i] for i in range(len(texts)) if len(texts[i].split()) > 200).split()
    text = " ".join(words[:500])
    text_level(text, "en")  # warm: model loaded, word caches filled as in a running worker
    estimate_level(analyse_text(text, "en"))

    def p50(fn: Any) -> tuple[float, float]:
        wall, cpu = [], []
        for _ in range(runs):
            began, began_cpu = time.perf_counter(), time.thread_time()
            fn()
            wall.append((time.perf_counter() - began) * 1000)
            cpu.append((time.thread_time() - began_cpu) * 1000)
        return round(statistics.median(wall), 2), round(statistics.median(cpu), 2)

    model_ms, model_cpu_ms = p50(lambda: text_level(text, "en"))
    baseline_ms, baseline_cpu_ms = p50(lambda: estimate_level(analyse_text(text, "en")))
    return {
        "words": 500,
        "runs": runs,
        "model_p50_ms": model_ms,
        "heuristic_p50_ms": baseline_ms,
        "ratio": round(model_ms / baseline_ms, 2),
        "model_cpu_p50_ms": model_cpu_ms,
        "heuristic_cpu_p50_ms": baseline_cpu_ms,
    }


def render(result: dict[str, Any]) -> str:
    model, heuristic, timing = result["model"], result["heuristic"], result["timing"]

    def row(name: str, f: dict[str, Any]) -> str:
        ece = "-" if f.get("ece") is None else f"{f['ece']:.3f}"
        return (
            f"| {name} | {f['accuracy']:.3f} | {f['within_one']:.3f} | {f['qwk']:.3f} | "
            f"{f['macro_f1']:.3f} | {ece} |"
        )

    lines = [
        f"### Text level (English, {model['texts']} graded texts, 5-fold cross-validation)",
        "",
        "| method | accuracy | within one level | QWK | macro F1 | calibration error |",
        "|---|---|---|---|---|---|",
        row(f"{METHOD} (cross-validated)", model),
        row("heuristic (the thresholds it replaced)", heuristic),
        *(f"| {name} | {acc:.3f} | - | - | - | - |" for name, acc in result["published"].items()),
        "",
        "Confusion matrix of the model (rows: label, columns: predicted):",
        "",
        "| | " + " | ".join(LEVELS) + " |",
        "|---|" + "---|" * len(LEVELS),
        *(
            f"| {lv} | " + " | ".join(str(n) for n in r) + " |"
            for lv, r in zip(LEVELS, model["confusion"], strict=True)
        ),
        "",
        "The model on excerpts of the held-out texts, by length (confidence calibrated per "
        "length band):",
        "",
        "| excerpt | excerpts | accuracy | within one level | QWK | calibration error | "
        "mean confidence |",
        "|---|---|---|---|---|---|---|",
        *(
            f"| {words} words | {f['excerpts']} | {f['accuracy']:.3f} | {f['within_one']:.3f} | "
            f"{f['qwk']:.3f} | {f['ece']:.3f} | {f['mean_confidence']:.3f} |"
            for words, f in model["by_length"].items()
        ),
        f"| whole texts | {model['texts']} | {model['accuracy']:.3f} | "
        f"{model['within_one']:.3f} | {model['qwk']:.3f} | {model['ece']:.3f} | - |",
        "",
        f"Inference, {timing['words']}-word text, one thread, p50 of {timing['runs']}: "
        f"model {timing['model_p50_ms']} ms, heuristic {timing['heuristic_p50_ms']} ms "
        f"({timing['ratio']}x); CPU time of the thread: model {timing['model_cpu_p50_ms']} ms, "
        f"heuristic {timing['heuristic_cpu_p50_ms']} ms.",
    ]
    return "\n".join(lines)

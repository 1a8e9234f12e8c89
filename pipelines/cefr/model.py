"""The fitted English text-level model: a shipped artefact, loaded once per process.

`cefr-text-en-v3` is ordinal: for each threshold "above A1" .. "above C1" it estimates the
probability that the text's level lies above it (Frank & Hall's decomposition), with two
models fitted on the measurements of `pipelines.cefr.vector`:

- logistic regressions on standardised measurements (coefficients in JSON);
- gradient-boosted trees (LightGBM, one file per threshold in its own text format).

Level probabilities are the differences of each model's cumulative curve, averaged over the
two models. That pair is fitted twice (1,195 graded English texts, A1..C2): the *short* part on
the texts and on excerpts of them from 30 words up (see `pipelines.cefr.excerpts`), the *long*
part on whole texts only, which levels whole texts better but short answers worse. A text of up
to `mix.from_words` words is levelled by the short part, from `mix.to_words` on by the long
part, and in between by both, weighted linearly by its length. The log of the mixed
probabilities is divided by a temperature fitted on out-of-fold predictions for the text's
length band (below 40, 65, 115 and 250 words, and longer), so that `confidence` (the
probability of the answer) is calibrated for short answers as for long texts. `python -m
pipelines.cefr.train` rebuilds the files from the CSV and prints the cross-validated figures
stored in the JSON under `cv`.

The artefact is checked at load: a missing file, invalid JSON, a checksum that does not match
a tree file, calibration bands out of order, or a feature list that differs from what
`vector.feature_names()` measures stops the process with `ModelArtefactError` naming the
file; nothing falls back silently.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from pipelines.cefr.features import TextFeatures, analyse_text
from pipelines.cefr.lexicon import LEVELS
from pipelines.cefr.vector import feature_names, feature_vector

MODEL_DIR = Path(__file__).resolve().parent / "models"
DEFAULT_ARTEFACT = MODEL_DIR / "cefr-text-en-v3.json"
METHOD = "cefr-text-model-v3"
PARTS = ("short", "long")  # fitted on texts and excerpts / on whole texts
MODEL_LANGUAGES = frozenset({"en"})


class ModelArtefactError(RuntimeError):
    """The shipped model cannot be used; the message names the file and what is wrong."""


@dataclass(frozen=True)
class LevelPrediction:
    level: str
    probabilities: dict[str, float]  # "A1".."C2", summing to 1
    confidence: float  # probability of `level`
    expected: float  # expected level index, A1=0 .. C2=5


@dataclass
class OrdinalPart:
    """One ordinal pair: per threshold, a logistic regression on standardised measurements and
    LightGBM trees; `predict` averages their level probabilities with `weights`."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray  # one row per threshold "above A1" .. "above C1"
    intercept: np.ndarray
    boosters: list[Any]  # one per threshold
    weights: tuple[float, float]  # logistic, trees

    def predict(self, matrix: np.ndarray) -> np.ndarray:
        logits = ((matrix - self.mean) / self.scale) @ self.coef.T + self.intercept
        linear = cumulative_to_levels(1.0 / (1.0 + np.exp(-logits)))
        trees = cumulative_to_levels(
            np.column_stack([booster.predict(matrix, num_threads=1) for booster in self.boosters])
        )
        return self.weights[0] * linear + self.weights[1] * trees


class TextLevelModel:
    """Predict a CEFR level from an English text with the shipped artefact."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        spec = _read_json(self.path)
        try:
            self.name: str = spec["name"]
            self.version: int = int(spec["version"])
            self.method: str = spec["method"]
            self.levels: list[str] = list(spec["levels"])
            self.features: list[str] = list(spec["features"])
            calibration = spec["calibration"]
            edges = [band["below_words"] for band in calibration]
            self.band_edges = np.array(edges[:-1], dtype=float)
            self.temperatures = np.array([float(band["temperature"]) for band in calibration])
            self.mix = (float(spec["mix"]["from_words"]), float(spec["mix"]["to_words"]))
            self.cv: dict[str, Any] = spec.get("cv", {})
            self.trained: dict[str, Any] = spec.get("trained", {})
            parts = [spec["parts"][name] for name in PARTS]
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelArtefactError(f"{self.path}: not a level model artefact ({exc!r})") from exc
        if self.levels != list(LEVELS):
            raise ModelArtefactError(f"{self.path}: levels {self.levels} are not {list(LEVELS)}")
        expected = feature_names()
        if self.features != expected:
            missing = sorted(set(expected) ^ set(self.features))
            raise ModelArtefactError(
                f"{self.path}: its features differ from what the platform measures "
                f"({', '.join(missing) or 'order'}); retrain with python -m pipelines.cefr.train"
            )
        if edges[-1] is not None or np.any(np.diff(self.band_edges) <= 0):
            raise ModelArtefactError(
                f"{self.path}: calibration bands are not increasing word "
                "counts ending with an open band"
            )
        if not 0 <= self.mix[0] <= self.mix[1]:
            raise ModelArtefactError(f"{self.path}: mix.from_words must not exceed to_words")
        self._parts = [self._part(name, part) for name, part in zip(PARTS, parts, strict=True)]
        self._lock = threading.Lock()

    def _part(self, name: str, spec: dict[str, Any]) -> OrdinalPart:
        try:
            logistic, trees = spec["logistic"], spec["trees"]
            part = OrdinalPart(
                mean=np.array(logistic["mean"], dtype=float),
                scale=np.array(logistic["scale"], dtype=float),
                coef=np.array(logistic["coef"], dtype=float),
                intercept=np.array(logistic["intercept"], dtype=float),
                boosters=[],
                weights=(float(logistic["weight"]), float(trees["weight"])),
            )
            thresholds = [(t["above"], t["file"], t["sha256"]) for t in trees["thresholds"]]
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelArtefactError(
                f"{self.path}: part {name!r} is not an ordinal model ({exc!r})"
            ) from exc
        shape = (len(self.levels) - 1, len(self.features))
        if part.coef.shape != shape or part.mean.shape != (shape[1],):
            raise ModelArtefactError(f"{self.path}: {name} logistic coefficients are not {shape}")
        if [above for above, _, _ in thresholds] != list(LEVELS[:-1]):
            raise ModelArtefactError(
                f"{self.path}: {name} tree thresholds are not above {', '.join(LEVELS[:-1])}"
            )
        part.boosters = [
            _load_booster(self.path.parent / file, sha256) for _, file, sha256 in thresholds
        ]
        return part

    def predict_vector(self, vector: dict[str, float], words: int) -> LevelPrediction:
        return self.predict_matrix(
            np.array([[vector[n] for n in self.features]]), np.array([words])
        )[0]

    def predict_matrix(self, matrix: np.ndarray, words: np.ndarray) -> list[LevelPrediction]:
        probabilities = self.probabilities(matrix, words)
        out = []
        for row in probabilities:
            best = int(row.argmax())
            out.append(
                LevelPrediction(
                    level=self.levels[best],
                    probabilities={
                        lv: round(float(p), 4) for lv, p in zip(self.levels, row, strict=True)
                    },
                    confidence=round(float(row[best]), 3),
                    expected=round(float((row * np.arange(len(row))).sum()), 3),
                )
            )
        return out

    def probabilities(self, matrix: np.ndarray, words: np.ndarray) -> np.ndarray:
        """Calibrated class probabilities, one row per text of `words` words."""
        with self._lock:  # a LightGBM booster is not documented as thread-safe
            short, long = (part.predict(matrix) for part in self._parts)
        temperatures = self.temperatures[band_index(self.band_edges, words)]
        return calibrated(mixed(short, long, words, self.mix), temperatures)

    def predict_text(self, text: str, features: TextFeatures | None = None) -> LevelPrediction:
        features = features or analyse_text(text, "en")
        return self.predict_vector(feature_vector(text, features), features.lexical.tokens)


@lru_cache(maxsize=1)
def default_model() -> TextLevelModel:
    """The shipped model (or CEFR_TEXT_MODEL's file), loaded once per process."""
    return TextLevelModel(Path(os.environ.get("CEFR_TEXT_MODEL") or DEFAULT_ARTEFACT))


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


def cumulative_to_levels(above: np.ndarray) -> np.ndarray:
    """Level probabilities from P(level > k) for k = A1..C1, one row per text: the
    differences of the cumulative curve, made non-increasing first so that none is negative
    (Frank & Hall 2001)."""
    above = np.minimum.accumulate(np.clip(above, 0.0, 1.0), axis=1)
    ones, zeros = np.ones((len(above), 1)), np.zeros((len(above), 1))
    levels = np.hstack([ones, above]) - np.hstack([above, zeros])
    levels = np.clip(levels, 1e-6, None)
    return levels / levels.sum(axis=1, keepdims=True)


def mixed(
    short: np.ndarray, long: np.ndarray, words: np.ndarray, mix: tuple[float, float]
) -> np.ndarray:
    """The short part's probabilities up to `mix[0]` words, the long part's from `mix[1]` on,
    and in between both weighted linearly by length."""
    low, high = mix
    words = np.asarray(words, dtype=float)
    if high > low:
        weight = np.clip((words - low) / (high - low), 0.0, 1.0)
    else:
        weight = (words >= low).astype(float)
    return (1.0 - weight)[:, None] * short + weight[:, None] * long


def band_index(edges: np.ndarray, words: np.ndarray) -> np.ndarray:
    """The calibration band of each text: how many band edges its word count reaches."""
    return np.searchsorted(edges, np.asarray(words, dtype=float), side="right")


def calibrated(probabilities: np.ndarray, temperature: float | np.ndarray) -> np.ndarray:
    """Blended class probabilities with their log divided by the fitted temperature (one
    for all rows, or one per row)."""
    t = np.asarray(temperature, dtype=float)
    if t.ndim == 1:
        t = t[:, None]
    return softmax(np.log(np.clip(probabilities, 1e-12, 1.0)) / t)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ModelArtefactError(
            f"{path}: the CEFR text model is missing; rebuild it with "
            "python -m pipelines.cefr.train"
        ) from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelArtefactError(f"{path}: the CEFR text model is unreadable ({exc})") from exc


def _load_booster(path: Path, sha256: str) -> Any:
    import lightgbm

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelArtefactError(f"{path}: the CEFR tree model is missing ({exc})") from exc
    if hashlib.sha256(data).hexdigest() != sha256:
        raise ModelArtefactError(f"{path}: checksum differs from the one its JSON records")
    try:
        return lightgbm.Booster(model_str=data.decode("utf-8"))
    except Exception as exc:  # LightGBM raises its own error type for any parse failure
        raise ModelArtefactError(f"{path}: not a LightGBM model ({exc})") from exc


def band_probability_score(
    prediction: LevelPrediction, bands: tuple[tuple[float, str], ...]
) -> float:
    """A 0-100 score inside the predicted level's band: the band's lower edge plus the share
    of probability mass above the level, so that a confident B1 sits mid-band and a B1 that
    leans to B2 sits near B2."""
    lower = 0.0
    for upper, level in bands:
        if level == prediction.level:
            upper = min(upper, 100.0)
            index = LEVELS.index(level)
            below = sum(prediction.probabilities[lv] for lv in LEVELS[:index])
            above = sum(prediction.probabilities[lv] for lv in LEVELS[index + 1 :])
            lean = 0.5 + 0.5 * (above - below)  # 0 leans down, 1 leans up
            return round(lower + (upper - lower) * min(max(lean, 0.02), 0.98), 1)
        lower = upper
    raise ValueError(f"unknown CEFR level {prediction.level!r}")


__all__ = [
    "DEFAULT_ARTEFACT",
    "METHOD",
    "MODEL_LANGUAGES",
    "PARTS",
    "LevelPrediction",
    "ModelArtefactError",
    "OrdinalPart",
    "TextLevelModel",
    "band_probability_score",
    "default_model",
    "mixed",
]

"""The fitted mapping from measurements to scores, read from a JSON artefact in the repo.

`model.json` beside this module holds each phone's usual GOP (mean and spread among words the
experts scored correct, so a phone the acoustic model always scores low is not taken for an
error), standardisation constants and linear coefficients: a word model (the probability
that experts would score the word as mispronounced, and the word's 0-100 accuracy) and one
clip model per score (accuracy, fluency, prosodic, total), and the linear maps from the
recording's Whisper encoder states to the same scores, blended with them.
`python -m pipelines.pronunciation.train` rebuilds it from the learner corpus and prints the
speaker-wise cross-validated figures that it also stores. It is read once per process; a
missing or malformed file is an error that names the file, never a silent default.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines.errors import PipelineError

ARTEFACT = Path(__file__).with_name("model.json")
CLIP_TARGETS = ("accuracy", "fluency", "prosodic", "total")
# A flagged word must also sound worse than the speaker's own median word (GOP, nats/frame):
# a voice or microphone the acoustic model fits badly must not flag every word.
RELATIVE_MARGIN = -0.5


class ModelArtefactError(PipelineError):
    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(
            "pronunciation_model_invalid",
            f"The pronunciation model artefact {path} {problem}; rebuild it with "
            "`python -m pipelines.pronunciation.train`.",
        )


@dataclass(frozen=True)
class Linear:
    """y = intercept + sum(coef * (x - mean) / scale); a missing x counts as its mean."""

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float

    def value(self, x: dict[str, float | None]) -> float:
        total = self.intercept
        for name, mu, sd, c in zip(self.features, self.mean, self.scale, self.coef, strict=True):
            v = x.get(name)
            if v is None or not math.isfinite(v):
                continue
            total += c * (v - mu) / sd
        return total

    def to_dict(self) -> dict[str, Any]:
        return {
            "features": list(self.features),
            "mean": list(self.mean),
            "scale": list(self.scale),
            "coef": list(self.coef),
            "intercept": self.intercept,
        }


CLIP_BLEND = 0.5  # a clip score: this share of the ridge regression, the rest of the trees


@dataclass(frozen=True)
class Trees:
    """A LightGBM regression, kept as its text dump, on named features (a missing value is
    passed as missing: the trees learnt where to send it)."""

    features: tuple[str, ...]
    text: str
    booster: Any = field(compare=False, repr=False)

    def value(self, x: dict[str, float | None]) -> float:
        import numpy as np

        row = [[_finite(x.get(n)) for n in self.features]]
        return float(self.booster.predict(np.array(row, dtype=float))[0])

    def to_dict(self) -> dict[str, Any]:
        return {"features": list(self.features), "model": self.text}


def _finite(value: float | None) -> float:
    return float(value) if value is not None and math.isfinite(value) else math.nan


PHONE_INPUTS = (
    "phone_z_min",
    "phone_z_mean",
    "phone_z_worst2",
    "phone_z_bad_share",
    "loop_z_min",
    "loop_z_mean",
)
BAD_Z = -2.0


@dataclass(frozen=True)
class PhoneNorm:
    """Per phone (ARPABET without stress): (mean, sd) of its GOP and of its loop GOP among the
    words experts scored correct; a phone not listed uses "*" (all phones)."""

    gop: dict[str, tuple[float, float]]
    loop: dict[str, tuple[float, float]]

    def inputs(self, phones: Sequence[Sequence]) -> dict[str, float]:
        """Word inputs from its phones, rows of [phone, GOP, frames, heard, loop GOP]: each
        phone's GOP as a z-score against the same phone in correct words."""
        if not phones:
            return {}
        z = sorted(_z(self.gop, p[0], p[1]) for p in phones)
        loop = [_z(self.loop, p[0], p[4]) for p in phones]
        return {
            "phone_z_min": z[0],
            "phone_z_mean": sum(z) / len(z),
            "phone_z_worst2": sum(z[:2]) / len(z[:2]),
            "phone_z_bad_share": sum(v < BAD_Z for v in z) / len(z),
            "loop_z_min": min(loop),
            "loop_z_mean": sum(loop) / len(loop),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "gop": {k: list(v) for k, v in sorted(self.gop.items())},
            "loop": {k: list(v) for k, v in sorted(self.loop.items())},
        }


def _z(table: dict[str, tuple[float, float]], phone: str, value: float) -> float:
    mean, sd = table.get(phone) or table["*"]
    return (value - mean) / sd


@dataclass(frozen=True)
class EncoderScores:
    """Clip scores from the Whisper encoder states (see `encoder`): per target, a linear map
    of the recording's pooled states (mean then spread of each of the encoder's values),
    standardised by `mean` and `scale`; `weight` is its share of each clip score, the rest
    being the PocketSphinx measurements' score."""

    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: dict[str, tuple[float, ...]]
    intercept: dict[str, float]
    weight: float

    def value(self, target: str, pooled: Sequence[float]) -> float:
        import numpy as np

        z = (np.asarray(pooled, dtype=float) - np.asarray(self.mean)) / np.asarray(self.scale)
        return float(self.intercept[target] + z @ np.asarray(self.coef[target]))

    def to_dict(self) -> dict[str, Any]:
        return {
            "mean": [_digits(v) for v in self.mean],
            "scale": [_digits(v) for v in self.scale],
            "coef": {t: [_digits(v) for v in c] for t, c in self.coef.items()},
            "intercept": self.intercept,
            "weight": self.weight,
        }


def _digits(value: float) -> float:
    """`value` to 8 significant digits (about 1e-8 relative: far below what moves a
    score), which keeps the artefact's 5,000 encoder numbers short."""
    return float(f"{value:.8g}")


@dataclass(frozen=True)
class PronunciationModel:
    name: str
    version: int
    phones: PhoneNorm
    word_mispronounced: Linear  # logit
    word_threshold: float  # probability above which a word is flagged
    word_accuracy: Linear  # expert word score x 10
    clip: dict[str, Linear]  # expert clip scores x 10
    clip_trees: dict[str, Trees]  # the same, by trees (blended with `clip`; may be empty)
    cv: dict[str, Any]
    encoder: EncoderScores | None = None  # clip scores from Whisper encoder states

    @property
    def label(self) -> str:
        return f"{self.name}-v{self.version}"

    def word_inputs(
        self, features: dict[str, float], phones: Sequence[Sequence]
    ) -> dict[str, float]:
        """What the word model reads: the word's measurements and its phones' z-scores."""
        return {**features, **self.phones.inputs(phones)} if features else {}

    def mispronounced_probability(self, features: dict[str, float]) -> float:
        z = self.word_mispronounced.value(features)
        return 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))

    def flags(self, features: dict[str, float]) -> bool:
        """Whether experts would likely score the word as mispronounced (below 8 of 10);
        `features` are the word inputs (`word_inputs`)."""
        relative = features.get("gop_rel", 0.0) <= RELATIVE_MARGIN
        return relative and self.mispronounced_probability(features) >= self.word_threshold

    def word_score(self, features: dict[str, float]) -> float:
        return max(0.0, min(100.0, self.word_accuracy.value(features)))

    def clip_score(
        self, target: str, features: dict[str, float], pooled: Sequence[float] | None = None
    ) -> float:
        """The clip score from the measurements, blended with the encoder's score of the
        recording's pooled states (`pooled`) when the model has one."""
        value = self.clip[target].value(features)
        if target in self.clip_trees:
            trees = self.clip_trees[target].value(features)
            value = CLIP_BLEND * value + (1 - CLIP_BLEND) * trees
        if self.encoder is not None:
            if pooled is None:
                raise ValueError("this model scores clips with the encoder states too")
            w = self.encoder.weight
            value = (1 - w) * value + w * self.encoder.value(target, pooled)
        return max(0.0, min(100.0, value))

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "phones": self.phones.to_dict(),
            "word": {
                "mispronounced": self.word_mispronounced.to_dict(),
                "threshold": self.word_threshold,
                "accuracy": self.word_accuracy.to_dict(),
            },
            "clip": {k: v.to_dict() for k, v in self.clip.items()},
            "clip_trees": {k: v.to_dict() for k, v in self.clip_trees.items()},
            "encoder": self.encoder.to_dict() if self.encoder else None,
            "cv": self.cv,
        }


def _linear(data: Any, path: Path, where: str) -> Linear:
    try:
        parts = [tuple(float(v) for v in data[k]) for k in ("mean", "scale", "coef")]
        features = tuple(str(f) for f in data["features"])
        intercept = float(data["intercept"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelArtefactError(path, f"has a malformed {where} ({exc!r})") from exc
    values = [v for part in parts for v in part] + [intercept]
    if any(len(part) != len(features) for part in parts) or not all(map(math.isfinite, values)):
        raise ModelArtefactError(path, f"has inconsistent or non-finite numbers in {where}")
    if any(s <= 0 for s in parts[1]):
        raise ModelArtefactError(path, f"has a non-positive scale in {where}")
    return Linear(features, *parts, intercept)


def _phone_norm(data: Any, path: Path) -> PhoneNorm:
    tables = []
    for part in ("gop", "loop"):
        try:
            table = {str(k): (float(v[0]), float(v[1])) for k, v in data[part].items()}
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
            raise ModelArtefactError(path, f"has a malformed phones.{part} ({exc!r})") from exc
        if "*" not in table:
            raise ModelArtefactError(path, f'has no default ("*") in phones.{part}')
        if any(not (math.isfinite(m) and math.isfinite(sd) and sd > 0) for m, sd in table.values()):
            raise ModelArtefactError(
                path, f"has non-finite or non-positive numbers in phones.{part}"
            )
        tables.append(table)
    return PhoneNorm(*tables)


def _trees(data: Any, path: Path, where: str) -> Trees:
    import lightgbm

    try:
        features = tuple(str(f) for f in data["features"])
        text = str(data["model"])
        booster = lightgbm.Booster(model_str=text)
    except (KeyError, TypeError, ValueError, lightgbm.basic.LightGBMError) as exc:
        raise ModelArtefactError(path, f"has a malformed {where} ({exc!r})") from exc
    if booster.num_feature() != len(features):
        raise ModelArtefactError(path, f"has trees over another number of features in {where}")
    return Trees(features, text, booster)


def _encoder(data: Any, path: Path) -> EncoderScores | None:
    if data is None:
        return None
    try:
        mean = tuple(float(v) for v in data["mean"])
        scale = tuple(float(v) for v in data["scale"])
        coef = {t: tuple(float(v) for v in data["coef"][t]) for t in CLIP_TARGETS}
        intercept = {t: float(data["intercept"][t]) for t in CLIP_TARGETS}
        weight = float(data["weight"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelArtefactError(path, f"has a malformed encoder ({exc!r})") from exc
    numbers = [*mean, *scale, *intercept.values(), weight, *(v for c in coef.values() for v in c)]
    if any(len(c) != len(mean) for c in coef.values()) or len(scale) != len(mean) or not mean:
        raise ModelArtefactError(path, "has inconsistent lengths in encoder")
    if not all(map(math.isfinite, numbers)) or any(v <= 0 for v in scale):
        raise ModelArtefactError(path, "has non-finite numbers or a non-positive scale in encoder")
    if not 0 <= weight <= 1:
        raise ModelArtefactError(path, "has an encoder weight outside [0, 1]")
    return EncoderScores(mean, scale, coef, intercept, weight)


def parse_model(data: Any, path: Path) -> PronunciationModel:
    if not isinstance(data, dict):
        raise ModelArtefactError(path, "is not a JSON object")
    try:
        word, clip = data["word"], data["clip"]
        missing = [t for t in CLIP_TARGETS if t not in clip]
        if missing:
            raise ModelArtefactError(path, f"has no clip model for {', '.join(missing)}")
        return PronunciationModel(
            name=str(data["name"]),
            version=int(data["version"]),
            phones=_phone_norm(data["phones"], path),
            word_mispronounced=_linear(word["mispronounced"], path, "word.mispronounced"),
            word_threshold=float(word["threshold"]),
            word_accuracy=_linear(word["accuracy"], path, "word.accuracy"),
            clip={t: _linear(clip[t], path, f"clip.{t}") for t in CLIP_TARGETS},
            clip_trees={
                t: _trees(v, path, f"clip_trees.{t}")
                for t, v in (data.get("clip_trees") or {}).items()
            },
            cv=dict(data.get("cv") or {}),
            encoder=_encoder(data.get("encoder"), path),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelArtefactError(path, f"lacks a required field ({exc!r})") from exc


def read_model(path: Path = ARTEFACT) -> PronunciationModel:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ModelArtefactError(path, f"cannot be read ({exc.strerror or exc})") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        problem = f"is not valid JSON ({exc.msg} at line {exc.lineno})"
        raise ModelArtefactError(path, problem) from exc
    return parse_model(data, path)


_loaded: dict[Path, PronunciationModel] = {}
_lock = threading.Lock()


def load_model(path: Path = ARTEFACT) -> PronunciationModel:
    """The artefact at `path`, read once per process."""
    with _lock:
        if path not in _loaded:
            _loaded[path] = read_model(path)
        return _loaded[path]

"""Fitting the clip scores read from Whisper encoder states (part of `train`).

Every corpus clip is encoded once by the bundled Whisper base model (`encoder.encode`) and its
states kept as float16 in data/pronunciation/encoder/<clip>.npy beside the measurement cache.
A clip's input is the mean and the spread of each encoder value over the recording (1,024
numbers). They are standardised and projected on their first principal axes (fitted on the
training clips, without labels); per clip score, a ridge regression on the first k
components, with k (ENCODER_COMPONENTS) and the penalty (ENCODER_ALPHAS) chosen by
leave-one-speaker-out within the clips it is fitted on. The projection and the regression are
one linear map of the standardised inputs, which is what the artefact keeps.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from pipelines.pronunciation.model import CLIP_TARGETS, EncoderScores, PronunciationModel

ENCODER_COMPONENTS = (4, 8, 16, 32)
ENCODER_ALPHAS = (1.0, 10.0, 100.0, 1000.0)
# Share of each clip score read from the encoder states, the rest from the PocketSphinx
# measurements' ridge and trees: fixed, not tuned.
ENCODER_WEIGHT = 0.5


def encode_corpus(rows: list[dict], folder: Path, log=print) -> None:
    """Encode every corpus row not yet encoded into `folder` (one .npy per clip, float16)
    and append the seconds each took to folder/times.jsonl."""
    from pipelines.audio import decode_audio
    from pipelines.pronunciation.encoder import encode, whisper_model

    folder.mkdir(parents=True, exist_ok=True)
    model = None
    with open(folder / "times.jsonl", "a", encoding="utf-8") as times:
        for n, row in enumerate(rows, 1):
            target = states_path(folder, row["file"])
            if target.exists():
                continue
            model = model or whisper_model()
            audio = decode_audio(row["path"])
            started = time.perf_counter()
            states = encode(audio.samples, audio.sample_rate, model).states
            seconds = time.perf_counter() - started
            partial = target.with_suffix(".part.npy")
            np.save(partial, states.astype(np.float16))
            partial.rename(target)  # a killed run leaves no half-written file behind
            record = {"file": row["file"], "duration": audio.duration, "encode_seconds": seconds}
            times.write(json.dumps(record) + "\n")
            times.flush()
            if n % 20 == 0:
                log(f"encoded {n}/{len(rows)} clips")


def encode_seconds(folder: Path) -> dict[str, float]:
    """The seconds each clip's encoding took (the last time it was encoded)."""
    path = folder / "times.jsonl"
    lines = path.read_text().splitlines() if path.exists() else []
    records = (json.loads(line) for line in lines if line.strip())
    return {r["file"]: r["encode_seconds"] for r in records}


def states_path(folder: Path, file: str) -> Path:
    return folder / (Path(file).stem + ".npy")


def attach_states(records: list[dict], folder: Path) -> list[dict]:
    """`records` with their pooled encoder states under "encoder"."""
    from pipelines.pronunciation.encoder import pool

    return [
        {**r, "encoder": pool(np.load(states_path(folder, r["file"])).astype(np.float32))}
        for r in records
    ]


def fit_encoder(records: list[dict], weight: float = ENCODER_WEIGHT) -> EncoderScores:
    """The encoder's linear map per clip score, fitted on `records` (with "encoder",
    "labels" and "speaker"; see the module notes)."""
    from sklearn.linear_model import Ridge

    x = np.array([r["encoder"] for r in records], dtype=float)
    mean = x.mean(axis=0)
    spread = x.std(axis=0)
    scale = np.where(spread > 1e-9, spread, 1.0)
    z = (x - mean) / scale
    _, _, vt = np.linalg.svd(z, full_matrices=False)
    sizes = [k for k in ENCODER_COMPONENTS if k <= vt.shape[0]] or [vt.shape[0]]
    axes = vt[: max(sizes)]
    components = z @ axes.T
    speakers = np.array([r["speaker"] for r in records])
    coef, intercept = {}, {}
    for target in CLIP_TARGETS:
        y = np.array([r["labels"][target] * 10 for r in records])
        k, alpha = _setting(components, y, speakers, sizes)
        ridge = Ridge(alpha=alpha).fit(components[:, :k], y)
        coef[target] = tuple(float(v) for v in axes[:k].T @ ridge.coef_)
        intercept[target] = float(ridge.intercept_)
    return EncoderScores(tuple(map(float, mean)), tuple(map(float, scale)), coef, intercept, weight)


def _setting(
    components: np.ndarray, y: np.ndarray, speakers: np.ndarray, sizes: list[int]
) -> tuple[int, float]:
    """The number of components and the penalty with the best leave-one-speaker-out
    correlation on (components, y)."""
    from sklearn.linear_model import Ridge

    groups = sorted(set(speakers))
    best, best_r = (sizes[0], ENCODER_ALPHAS[-1]), -2.0
    if len(groups) < 3:
        return best
    for k in sizes:
        for alpha in ENCODER_ALPHAS:
            predicted = np.zeros_like(y)
            for g in groups:
                held = speakers == g
                ridge = Ridge(alpha=alpha).fit(components[~held, :k], y[~held])
                predicted[held] = ridge.predict(components[held, :k])
            r = float(np.corrcoef(predicted, y)[0, 1]) if np.std(predicted) > 0 else -1.0
            if r > best_r:
                best, best_r = (k, alpha), r
    return best


def cross_validate_encoder(records: list[dict]) -> dict[str, float]:
    """Leave-one-speaker-out Pearson correlation of the encoder's clip scores alone."""
    from pipelines.pronunciation.evaluate import pearson

    predicted: dict[str, dict[str, float]] = {}
    for speaker in sorted({r["speaker"] for r in records}):
        model = fit_encoder([r for r in records if r["speaker"] != speaker])
        for r in records:
            if r["speaker"] == speaker:
                predicted[r["file"]] = {
                    t: max(0.0, min(100.0, model.value(t, r["encoder"]))) for t in CLIP_TARGETS
                }
    return {
        t: round(
            pearson([r["labels"][t] for r in records], [predicted[r["file"]][t] for r in records]),
            3,
        )
        for t in CLIP_TARGETS
    }


def refit_encoder(
    rows: list[dict], states: Path, base: PronunciationModel, name: str, version: int
) -> PronunciationModel:
    """`base` with its encoder part fitted again on the corpus `rows` (their states in
    `states`), named `name` and `version`; prints and stores the encoder's own figures (the
    other figures stay those of the PocketSphinx part's training run)."""
    from dataclasses import replace

    labelled = [
        {
            "file": r["file"],
            "speaker": r["speaker"],
            "labels": {t: float(r[t]) for t in CLIP_TARGETS},
        }
        for r in rows
    ]
    labelled = attach_states(labelled, states)
    alone = cross_validate_encoder(labelled)
    print(
        "encoder states alone, Pearson with experts: "
        + ", ".join(f"{k} {v:.3f}" for k, v in alone.items())
    )
    cv = {**base.cv, "encoder_alone": alone, "pearson_without_encoder": True}
    return replace(base, name=name, version=version, encoder=fit_encoder(labelled), cv=cv)

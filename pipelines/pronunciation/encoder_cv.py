"""The cross-validation of `encoder_study` (step `cv`): see that module's notes."""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from pipelines.pronunciation.corpus import read_measurements
from pipelines.pronunciation.evaluate import evaluate
from pipelines.pronunciation.train import (
    CLIP_FEATURES,
    CLIP_SETS,
    WORD_INPUTS,
    choose_word_penalty,
    fit,
    fit_word_model,
    predict,
)

CLIP_COMPONENTS = (4, 8, 16, 32)  # PCA sizes tried for the clip states (mean and spread)
WORD_COMPONENTS = (0, 8, 16)  # PCA sizes tried for the word states (0: none)
PLS_COMPONENTS = (2, 4, 8)
ALONE_ALPHAS = (1.0, 10.0, 100.0, 1000.0)
DRAWS = 1000


def clip_name(i: int) -> str:
    return f"enc_clip_{i}"


def word_name(i: int) -> str:
    return f"enc_word_{i}"


def pooled(record: dict, states: np.ndarray) -> tuple[np.ndarray, list[np.ndarray | None]]:
    """The clip's state mean and spread over the whole recording, and each word's mean
    state minus the clip's mean (None for a word without an aligned span)."""
    from pipelines.pronunciation.encoder import EncoderStates

    enc = EncoderStates(states)
    clip = np.concatenate([states.mean(axis=0), states.std(axis=0)])
    centre = clip[: states.shape[1]]
    words = [
        enc.mean(w["start"], w["end"]) - centre if w.get("start") is not None else None
        for w in record["words"]
    ]
    return clip, words


class Pca:
    """Standardise, then project on the first principal axes (fitted without labels)."""

    def __init__(self, x: np.ndarray, k: int) -> None:
        self.mean = x.mean(axis=0)
        self.scale = np.where(x.std(axis=0) > 1e-9, x.std(axis=0), 1.0)
        z = (x - self.mean) / self.scale
        _, _, vt = np.linalg.svd(z, full_matrices=False)
        self.axes = vt[:k]

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return ((x - self.mean) / self.scale) @ self.axes.T


def with_encoder(records: list[dict], clip_pca: Pca, word_pca: Pca | None) -> list[dict]:
    """Copies of `records` whose clip measurements and word features carry the projected
    states as enc_clip_i and enc_word_i."""
    out = []
    for r in records:
        r2 = copy.copy(r)
        r2["clip"] = dict(r["clip"])
        for i, v in enumerate(clip_pca(r["_enc_clip"][None])[0]):
            r2["clip"][clip_name(i)] = float(v)
        r2["words"] = []
        for w, vec in zip(r["words"], r["_enc_words"], strict=True):
            w2 = dict(w)
            if w["features"] and vec is not None and word_pca is not None:
                projected = word_pca(vec[None])[0]
                w2["features"] = {
                    **w["features"],
                    **{word_name(i): float(v) for i, v in enumerate(projected)},
                }
            r2["words"].append(w2)
        out.append(r2)
    return out


def _words(records: list[dict]) -> list[dict]:
    return [
        {**w, "speaker": r["speaker"]}
        for r in records
        for w in r["words"]
        if w["kind"] == "reference" and w["features"] and w["label"] is not None
    ]


def word_models(records: list[dict]) -> tuple[tuple, tuple, int, dict[int, float]]:
    """Today's word model, the one with the word-state PCA size (of WORD_COMPONENTS) whose
    held-out average precision is best (each at its best penalty), that size, and the
    precision of every size."""
    words = _words(records)
    choices = {}
    for k in WORD_COMPONENTS:
        choices[k] = choose_word_penalty(words, word_inputs(k))
    precision = {k: round(c[2], 4) for k, c in choices.items()}
    k = max(WORD_COMPONENTS, key=lambda k: (choices[k][2], -k))
    today = fit_word_model(words, WORD_INPUTS, choices[0])
    added = today if k == 0 else fit_word_model(words, word_inputs(k), choices[k])
    return today, added, k, precision


def word_inputs(k: int) -> tuple[str, ...]:
    return WORD_INPUTS + tuple(word_name(i) for i in range(k))


def alone(train: list[dict], test: list[dict], target: str) -> np.ndarray:
    """Ridge on the clip-state PCA alone, size and penalty chosen by inner LOSO."""
    from sklearn.linear_model import Ridge

    sizes = [k for k in CLIP_COMPONENTS if clip_name(k - 1) in train[0]["clip"]]
    x = np.array([[r["clip"][clip_name(i)] for i in range(max(sizes))] for r in train])
    y = np.array([r["labels"][target] * 10 for r in train])
    speakers = np.array([r["speaker"] for r in train])
    best, best_r = (sizes[0], ALONE_ALPHAS[0]), -2.0
    for k in sizes:
        for alpha in ALONE_ALPHAS:
            p = np.zeros_like(y)
            for g in sorted(set(speakers)):
                held = speakers == g
                p[held] = Ridge(alpha=alpha).fit(x[~held, :k], y[~held]).predict(x[held, :k])
            r = float(np.corrcoef(p, y)[0, 1]) if p.std() > 0 else -1.0
            if r > best_r:
                best, best_r = (k, alpha), r
    k, alpha = best
    xt = np.array([[r["clip"][clip_name(i)] for i in range(k)] for r in test])
    return Ridge(alpha=alpha).fit(x[:, :k], y).predict(xt)


def pls_alone(train: list[dict], test: list[dict], target: str) -> np.ndarray:
    """PLS on the standardised clip states (mean and spread), size chosen by inner LOSO."""
    from sklearn.cross_decomposition import PLSRegression

    x = np.array([r["_enc_clip"] for r in train])
    y = np.array([r["labels"][target] * 10 for r in train])
    speakers = np.array([r["speaker"] for r in train])
    best, best_r = PLS_COMPONENTS[0], -2.0
    for k in PLS_COMPONENTS:
        p = np.zeros_like(y)
        for g in sorted(set(speakers)):
            held = speakers == g
            model = PLSRegression(n_components=k).fit(x[~held], y[~held])
            p[held] = model.predict(x[held]).ravel()
        r = float(np.corrcoef(p, y)[0, 1]) if p.std() > 0 else -1.0
        if r > best_r:
            best, best_r = k, r
    xt = np.array([r["_enc_clip"] for r in test])
    return PLSRegression(n_components=best).fit(x, y).predict(xt).ravel()


def clip_sets(forced: bool) -> tuple[tuple[str, ...], ...]:
    """Today's sets, plus (or, `forced`, only) CLIP_FEATURES with k clip components."""
    extra = tuple(CLIP_FEATURES + tuple(clip_name(i) for i in range(k)) for k in CLIP_COMPONENTS)
    return extra if forced else CLIP_SETS + extra


VARIANTS = (
    "today",
    "clip_alone_ridge",
    "clip_blend_half",
    "clip_added",
    "word_added",
    "both_added",
)


def cross_validate(
    records: list[dict], log=print, clip_only: bool = False
) -> tuple[dict[str, dict], dict[str, Any]]:
    """Leave-one-speaker-out predictions of every variant (`clip_only`: today's, the
    encoder's alone and their blend), and the choices made per fold."""
    speakers = sorted({r["speaker"] for r in records})
    predictions: dict[str, dict[str, dict]] = {v: {} for v in VARIANTS}
    choices: dict[str, Any] = {}
    for speaker in speakers:
        started = time.perf_counter()
        train = [r for r in records if r["speaker"] != speaker]
        test = [r for r in records if r["speaker"] == speaker]
        clip_pca = Pca(np.array([r["_enc_clip"] for r in train]), max(CLIP_COMPONENTS))
        train_vectors = [
            v
            for r in train
            for w, v in zip(r["words"], r["_enc_words"], strict=True)
            if w["kind"] == "reference" and w["features"] and v is not None
        ]
        word_pca = Pca(np.array(train_vectors), max(WORD_COMPONENTS))
        train_e = with_encoder(train, clip_pca, word_pca)
        test_e = with_encoder(test, clip_pca, word_pca)
        if clip_only:
            models = {"today": fit(train_e)}
            choices[speaker] = {}
        else:
            today, added, k, ap = word_models(train_e)
            choices[speaker] = {"word_components": k, "word_ap": ap}
            models = {
                "today": fit(train_e, word_model=today),
                "clip_added": fit(train_e, clip_sets=clip_sets(False), word_model=today),
                "word_added": fit(train_e, word_model=added),
                "both_added": fit(train_e, clip_sets=clip_sets(False), word_model=added),
            }
        choices[speaker]["clip_sets"] = {
            v: {t: len(m.clip[t].features) for t in m.clip} for v, m in models.items()
        }
        for v, m in models.items():
            for r in test_e:
                predictions[v][r["file"]] = predict(m, r)
        for target in ("accuracy", "fluency", "prosodic", "total"):
            ridge = alone(train_e, test_e, target)
            for r, a in zip(test_e, ridge, strict=True):
                base = predictions["today"][r["file"]]
                if base["scores"] is None:
                    continue
                value = float(np.clip(a, 0, 100))
                half = 0.5 * base["scores"][target] + 0.5 * value
                for v, x in (("clip_alone_ridge", value), ("clip_blend_half", half)):
                    entry = predictions[v].setdefault(
                        r["file"], {"scores": dict(base["scores"]), "words": base["words"]}
                    )
                    entry["scores"][target] = x
        for v in ("clip_alone_ridge", "clip_blend_half"):
            for r in test_e:
                predictions[v].setdefault(r["file"], predictions["today"][r["file"]])
        log(f"speaker {speaker}: {time.perf_counter() - started:.0f} s, choices {choices[speaker]}")
    return predictions, choices


def bootstrap(records: list[dict], a: dict, b: dict, draws: int = DRAWS) -> dict[str, list]:
    """2.5 and 97.5 percentiles of (figure of a - figure of b) over speakers resampled."""
    rng = np.random.default_rng(0)
    speakers = sorted({r["speaker"] for r in records})
    by = {s: [r for r in records if r["speaker"] == s] for s in speakers}
    diffs: dict[str, list[float]] = {}
    for _ in range(draws):
        sample = [r for s in rng.choice(speakers, len(speakers)) for r in by[s]]
        ea, eb = evaluate(sample, a), evaluate(sample, b)
        for t in ea["pearson"]:
            diffs.setdefault(t, []).append(ea["pearson"][t] - eb["pearson"][t])
        fa, fb = ea["mispronounced_detection"]["f1"], eb["mispronounced_detection"]["f1"]
        diffs.setdefault("word_f1", []).append(fa - fb)
    return {
        k: [round(float(np.nanpercentile(v, q)), 3) for q in (2.5, 97.5)] for k, v in diffs.items()
    }


def load(cache: Path, states: Path) -> list[dict]:
    records = []
    for r in sorted(read_measurements(cache), key=lambda r: r["file"]):
        path = states / (Path(r["file"]).stem + ".npy")
        if not r["clip"] or not path.exists():
            continue
        if any(w["features"] and "start" not in w for w in r["words"]):
            continue  # measured before the word times were kept
        clip, words = pooled(r, np.load(path).astype(np.float32))
        records.append({**r, "_enc_clip": clip, "_enc_words": words})
    return records


def run(
    cache: Path, states: Path, out: Path | None = None, clip_only: bool = False
) -> dict[str, Any]:
    records = load(cache, states)
    speakers = sorted({r["speaker"] for r in records})
    print(f"{len(records)} clips of {len(speakers)} speakers with measurements and states")
    predictions, choices = cross_validate(records, clip_only=clip_only)
    predictions = {v: p for v, p in predictions.items() if p}
    figures = {v: evaluate(records, p) for v, p in predictions.items()}
    spread = {
        v: bootstrap(records, predictions[v], predictions["today"])
        for v in predictions
        if v != "today"
    }
    for v in predictions:
        f = figures[v]
        d = f["mispronounced_detection"]
        print(
            f"{v:20s} "
            + " ".join(f"{t} {x:.3f}" for t, x in f["pearson"].items())
            + f" | words P/R/F1 {d['precision']:.2f}/{d['recall']:.2f}/{d['f1']:.2f}"
            + f" accepted {f['correct_accepted']:.3f}"
            + (f" | diff 95% {spread[v]}" if v in spread else "")
        )
    result = {"figures": figures, "spread": spread, "choices": choices}
    target = out or cache.parent / f"encoder_study{'_clip' if clip_only else ''}.json"
    target.write_text(json.dumps(result, indent=1))
    print(f"wrote {target}")
    return result

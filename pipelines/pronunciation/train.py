"""`python -m pipelines.pronunciation.train`: fit the pronunciation model on the learner corpus.

Measures every clip of the learner read-aloud corpus (Whisper primed with the text, forced
alignment, phone loop, prosody; cached in data/pronunciation/features.jsonl), then fits:

- the phone norms: each phone's mean and spread of GOP and loop GOP among the words experts
  scored correct (shrunk towards all phones' by PRIOR_PHONES pseudo-observations), so a word's
  phones are judged against the same phones said well (z-scores);
- the word model: logistic regression for "experts scored the word below 8" and ridge
  regression for the experts' word score, on the word measurements and phone z-scores; a word
  is flagged when the probability passes a threshold and its GOP is below the speaker's
  median word by RELATIVE_MARGIN. The logistic penalty (among WORD_CS, by average precision)
  and the threshold (the best F1 among those that keep >= 95 % of the expert-correct words
  accepted) are chosen on leave-one-speaker-out predictions within the speakers the model is
  fitted on (phone norms and word model refitted without each), never on the speaker it is
  then applied to;
- one ridge regression per clip score (accuracy, fluency, prosodic, total) on the clip
  measurements plus the word model's summary of the clip; its feature set (CLIP_SETS) and
  penalty (CLIP_ALPHAS) are chosen by leave-one-speaker-out within the clips it is fitted on
  (so the outer figures stay cross-validated); each score is the mean of that ridge
  regression and small boosted trees (LightGBM, fixed settings TREE_PARAMS) on all the clip
  measurements, kept as their text dump in the artefact;
- the clip scores read from the recording's Whisper encoder states (see `encoder_fit`; the
  corpus is encoded once into data/pronunciation/encoder/), each blended half and half with
  the score above. `--encoder-only` refits only this part of the artefact at --out (no
  PocketSphinx measurements needed), keeping the rest and its figures.

Every figure printed is leave-one-speaker-out cross-validated (15 speakers: each speaker's
clips are scored by models fitted on the other 14). The final model is fitted on all clips
and written, with those figures, to pipelines/pronunciation/model.json. Seeded and
deterministic: the same measurements give the same file.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from pipelines.pronunciation.measure import WORD_FEATURES
from pipelines.pronunciation.model import (
    ARTEFACT,
    CLIP_TARGETS,
    PHONE_INPUTS,
    RELATIVE_MARGIN,
    Linear,
    PhoneNorm,
    PronunciationModel,
    Trees,
)

SEED = 0
NAME = "pronunciation-gop-pocketsphinx-whisper"
VERSION = 5
CORRECT = 8  # experts' word accuracy >= 8: correct or lightly accented
MIN_ACCEPTED = 0.95
CLIP_ALPHAS = (1.0, 10.0, 30.0, 100.0, 300.0)
WORD_ALPHA = 1.0
WORD_CS = (0.03, 0.1, 1.0)  # logistic inverse penalties tried (held-out average precision)
PRIOR_PHONES = 20
WORD_INPUTS = WORD_FEATURES + PHONE_INPUTS
DEFAULT_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "learner-speech"
DEFAULT_CACHE = Path("data/pronunciation/features.jsonl")
BASE_CLIP_FEATURES = (
    "gop_mean",
    "gop_median",
    "gop_p10",
    "bad_phone_share",
    "word_gop_min_mean",
    "heard_share",
    "squeezed_share",
    "inserted",
    "confidence_mean",
    "phones_per_second",
    "articulation_rate",
    "pause_count",
    "pause_ratio",
    "longest_pause",
    "lead_silence",
    "words",
    "span",
    "pitch_range_st",
    "pitch_sd_st",
    "intensity_sd_db",
    "voiced_share",
    "internal_pauses",
    "final_matches",
    "duration_cv",
    "word_accuracy_mean",
    "word_accuracy_min",
    "flagged_share",
)
CLIP_FEATURES = BASE_CLIP_FEATURES + (
    "gop_sd",
    "gop_p25",
    "loop_gop_mean",
    "loop_disagree_share",
    "word_gop_rel_min",
    "words_per_second",
    "pause_mean",
    "duration_rel_sd",
    "mispronounced_mean",
    "phone_z_mean",
    "loop_z_mean",
)
TREE_PARAMS = {
    "n_estimators": 200,
    "learning_rate": 0.03,
    "num_leaves": 4,
    "min_child_samples": 15,
    "subsample": 0.8,
    "subsample_freq": 1,
    "colsample_bytree": 0.7,
    "random_state": SEED,
    "deterministic": True,
    "n_jobs": 1,
    "verbose": -1,
}
# Each clip score is fitted on one of these (chosen with its penalty inside the CV): fewer
# features for a score they explain as well.
CLIP_SETS = (BASE_CLIP_FEATURES, CLIP_FEATURES)


def _matrix(rows: list[dict[str, Any]], names: tuple[str, ...]) -> np.ndarray:
    return np.array([[_num(r.get(n)) for n in names] for r in rows], dtype=float)


def _num(value: Any) -> float:
    return float(value) if value is not None and math.isfinite(float(value)) else math.nan


def _standardise(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    seen = np.isfinite(x)
    totals = np.where(seen, x, 0.0).sum(axis=0)
    mean = np.divide(totals, seen.sum(axis=0), out=np.zeros(x.shape[1]), where=seen.any(axis=0))
    filled = np.where(np.isfinite(x), x, mean)
    scale = filled.std(axis=0)
    scale = np.where(scale > 1e-9, scale, 1.0)
    return (filled - mean) / scale, mean, scale


def _linear(names, mean, scale, coef, intercept) -> Linear:
    return Linear(
        tuple(names),
        tuple(map(float, mean)),
        tuple(map(float, scale)),
        tuple(map(float, coef)),
        float(intercept),
    )


def fit_phone_norm(words: list[dict]) -> PhoneNorm:
    """Per-phone (mean, sd) of GOP and loop GOP in the words experts scored correct."""
    values: dict[str, dict[str, list[float]]] = {"gop": {}, "loop": {}}
    for w in words:
        if w["label"] < CORRECT:
            continue
        for phone, gop, _frames, _heard, loop in w["phones"]:
            values["gop"].setdefault(phone, []).append(gop)
            values["loop"].setdefault(phone, []).append(loop)
    tables = []
    for part in ("gop", "loop"):
        every = np.array([v for vs in values[part].values() for v in vs], dtype=float)
        mean, var = float(every.mean()), float(every.var())
        table = {"*": (mean, math.sqrt(var))}
        for phone, vs in sorted(values[part].items()):
            v = np.array(vs, dtype=float)
            m = (v.sum() + PRIOR_PHONES * mean) / (v.size + PRIOR_PHONES)
            sd = math.sqrt((((v - m) ** 2).sum() + PRIOR_PHONES * var) / (v.size + PRIOR_PHONES))
            table[phone] = (float(m), sd)
        tables.append(table)
    return PhoneNorm(*tables)


def _word_logistic(
    norm: PhoneNorm, words: list[dict], c: float, inputs: tuple[str, ...] = WORD_INPUTS
):
    from sklearn.linear_model import LogisticRegression

    rows = [{**w["features"], **norm.inputs(w["phones"])} for w in words]
    x, mean, scale = _standardise(_matrix(rows, inputs))
    bad = np.array([w["label"] < CORRECT for w in words])
    logistic = LogisticRegression(
        C=c, class_weight="balanced", max_iter=5000, random_state=SEED
    ).fit(x, bad)
    return logistic, x, mean, scale


def choose_word_penalty(
    words: list[dict], inputs: tuple[str, ...] = WORD_INPUTS
) -> tuple[float, np.ndarray | None, float]:
    """The logistic penalty (of WORD_CS) with the best held-out average precision, the
    held-out probabilities at it and that precision (None and nan with too few speakers)."""
    from sklearn.metrics import average_precision_score

    bad = np.array([w["label"] < CORRECT for w in words])
    held_out = {c: _held_out_probability(words, c, inputs) for c in WORD_CS}
    if any(p is None for p in held_out.values()):  # too few speakers to hold any out
        return 1.0, None, math.nan
    precision = {c: float(average_precision_score(bad, p)) for c, p in held_out.items()}
    c = max(WORD_CS, key=lambda c: (precision[c], -c))
    return c, held_out[c], precision[c]


def fit_word_model(
    words: list[dict],
    inputs: tuple[str, ...] = WORD_INPUTS,
    choice: tuple[float, np.ndarray | None, float] | None = None,
) -> tuple[PhoneNorm, Linear, float, Linear]:
    """Phone norms, the mispronunciation logit, its threshold and the word-score ridge;
    `words` carry their speaker (see the module notes for the threshold; `choice` is
    `choose_word_penalty`'s answer when already known)."""
    from sklearn.linear_model import Ridge

    labels = np.array([w["label"] for w in words], dtype=float)
    bad = labels < CORRECT
    c, probability, _ = choice or choose_word_penalty(words, inputs)
    norm = fit_phone_norm(words)
    logistic, x, mean, scale = _word_logistic(norm, words, c, inputs)
    ridge = Ridge(alpha=WORD_ALPHA).fit(x, labels * 10)
    mis = _linear(inputs, mean, scale, logistic.coef_[0], logistic.intercept_[0])
    accuracy = _linear(inputs, mean, scale, ridge.coef_, ridge.intercept_)
    if probability is None:  # the fitted words themselves
        probability = logistic.predict_proba(x)[:, 1]
    relative = np.array([w["features"].get("gop_rel", 0.0) for w in words]) <= RELATIVE_MARGIN
    return norm, mis, _threshold(probability, relative, bad), accuracy


def _held_out_probability(
    words: list[dict], c: float = 1.0, inputs: tuple[str, ...] = WORD_INPUTS
) -> np.ndarray | None:
    """Each word's probability from the phone norms and logit fitted without its speaker."""
    speakers = np.array([w["speaker"] for w in words])
    groups = sorted(set(speakers))
    if len(groups) < 3:
        return None
    probability = np.zeros(len(words))
    for g in groups:
        held = speakers == g
        train = [w for w, h in zip(words, held, strict=True) if not h]
        test = [w for w, h in zip(words, held, strict=True) if h]
        if len({w["label"] < CORRECT for w in train}) < 2:
            return None
        norm = fit_phone_norm(train)
        logistic, _, mean, scale = _word_logistic(norm, train, c, inputs)
        rows = [{**w["features"], **norm.inputs(w["phones"])} for w in test]
        x = _matrix(rows, inputs)
        x = (np.where(np.isfinite(x), x, mean) - mean) / scale
        probability[held] = logistic.predict_proba(x)[:, 1]
    return probability


def _threshold(probability: np.ndarray, relative: np.ndarray, bad: np.ndarray) -> float:
    """Best-F1 threshold among those accepting >= MIN_ACCEPTED of the correct words."""
    best, best_f1 = 1.0, -1.0
    for t in np.unique(np.round(probability, 3)):
        flagged = (probability >= t) & relative
        accepted = 1 - flagged[~bad].mean() if (~bad).any() else 1.0
        if accepted < MIN_ACCEPTED:
            continue
        f1 = _prf(flagged, bad)[2]
        if f1 > best_f1:
            best, best_f1 = float(t), f1
    return best


def _prf(flagged: np.ndarray, truth: np.ndarray) -> tuple[float, float, float]:
    tp = float((flagged & truth).sum())
    precision = tp / flagged.sum() if flagged.sum() else 0.0
    recall = tp / truth.sum() if truth.sum() else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def clip_rows(records: list[dict], model: PronunciationModel) -> list[dict[str, float]]:
    from pipelines.pronunciation.assess import word_summary

    rows = []
    for r in records:
        inputs = [
            model.word_inputs(w["features"], w["phones"])
            for w in r["words"]
            if w["kind"] == "reference" and w["features"]
        ]
        rows.append({**r["clip"], **word_summary(model, inputs)})
    return rows


def fit(
    records: list[dict],
    cv: dict | None = None,
    *,
    word_inputs: tuple[str, ...] = WORD_INPUTS,
    clip_sets: tuple[tuple[str, ...], ...] = CLIP_SETS,
    word_model: tuple[PhoneNorm, Linear, float, Linear] | None = None,
) -> PronunciationModel:
    """The model fitted on `records`: the word model on `word_inputs`, each clip score's
    ridge regression on the best of `clip_sets` (every set's names are read from the clip
    measurements and the word model's summary) and the trees on CLIP_FEATURES."""
    from sklearn.linear_model import Ridge

    # Sorted, so the same measurements give the same floating-point sums in any file order.
    records = sorted((r for r in records if r["clip"]), key=lambda r: r["file"])
    words = [
        {**w, "speaker": r["speaker"]}
        for r in records
        for w in r["words"]
        if w["kind"] == "reference" and w["features"] and w["label"] is not None
    ]
    norm, mis, threshold, accuracy = word_model or fit_word_model(words, word_inputs)
    partial = PronunciationModel(NAME, VERSION, norm, mis, threshold, accuracy, {}, {}, {})
    every = tuple(dict.fromkeys(CLIP_FEATURES + tuple(n for s in clip_sets for n in s)))
    raw = _matrix(clip_rows(records, partial), every)
    x, mean, scale = _standardise(raw)
    speakers = np.array([r["speaker"] for r in records])
    clip, trees = {}, {}
    for target in CLIP_TARGETS:
        y = np.array([r["labels"][target] * 10 for r in records])
        names, alpha = _clip_setting(x, y, speakers, every, clip_sets)
        columns = [every.index(n) for n in names]
        ridge = Ridge(alpha=alpha).fit(x[:, columns], y)
        clip[target] = _linear(names, mean[columns], scale[columns], ridge.coef_, ridge.intercept_)
        trees[target] = _fit_trees(raw[:, : len(CLIP_FEATURES)], y)
    encoder = None
    if records and all("encoder" in r for r in records):
        from pipelines.pronunciation.encoder_fit import fit_encoder

        encoder = fit_encoder(records)
    return PronunciationModel(
        NAME, VERSION, norm, mis, threshold, accuracy, clip, trees, cv or {}, encoder
    )


def _fit_trees(x: np.ndarray, y: np.ndarray) -> Trees:
    """Small boosted trees (fixed settings, not tuned) for what the ridge cannot bend to:
    thresholds and interactions between measurements."""
    import lightgbm

    booster = lightgbm.LGBMRegressor(**TREE_PARAMS).fit(x, y).booster_
    text = booster.model_to_string()
    return Trees(CLIP_FEATURES, text, lightgbm.Booster(model_str=text))


def _clip_setting(
    x: np.ndarray,
    y: np.ndarray,
    speakers: np.ndarray,
    every: tuple[str, ...] = CLIP_FEATURES,
    clip_sets: tuple[tuple[str, ...], ...] = CLIP_SETS,
) -> tuple[tuple[str, ...], float]:
    """The feature set (of `clip_sets`) and ridge penalty with the best leave-one-speaker-out
    correlation on (x, y), x holding the columns named `every`."""
    from sklearn.linear_model import Ridge

    groups = sorted(set(speakers))
    best, best_r = (clip_sets[-1], CLIP_ALPHAS[1]), -2.0
    if len(groups) < 3:
        return best
    for names in clip_sets:
        columns = [every.index(n) for n in names]
        for alpha in CLIP_ALPHAS:
            predicted = np.zeros_like(y)
            for g in groups:
                held = speakers == g
                ridge = Ridge(alpha=alpha).fit(x[~held][:, columns], y[~held])
                predicted[held] = ridge.predict(x[held][:, columns])
            r = float(np.corrcoef(predicted, y)[0, 1]) if np.std(predicted) > 0 else -1.0
            if r > best_r:
                best, best_r = (names, alpha), r
    return best


def cross_validate(records: list[dict]) -> dict[str, Any]:
    """Leave-one-speaker-out predictions and the figures computed from them."""
    from pipelines.pronunciation.evaluate import evaluate

    speakers = sorted({r["speaker"] for r in records})
    predictions: dict[str, dict] = {}
    for speaker in speakers:
        model = fit([r for r in records if r["speaker"] != speaker])
        for r in records:
            if r["speaker"] == speaker:
                predictions[r["file"]] = predict(model, r)
    return evaluate(records, predictions)


def predict(model: PronunciationModel, record: dict) -> dict[str, Any]:
    """Clip scores and word decisions of one measured clip, as the platform would give them."""
    from pipelines.pronunciation.assess import fits_badly

    if not record["clip"]:
        return {"scores": None, "words": []}
    row = clip_rows([record], model)[0]
    scores = {t: model.clip_score(t, row, record.get("encoder")) for t in CLIP_TARGETS}
    decisions = []
    for w in record["words"]:
        if w["kind"] != "reference":
            continue
        f = w["features"]
        if w["omitted"] or not f:
            decisions.append({"label": w["label"], "error": "omission" if w["omitted"] else None})
            continue
        flagged = model.flags(model.word_inputs(f, w["phones"])) or fits_badly(f, w["heard"])
        error = "mispronunciation" if flagged else None
        decisions.append({"label": w["label"], "error": error})
    return {"scores": scores, "words": decisions}


def main(argv: list[str] | None = None) -> int:
    from pipelines.pronunciation.corpus import measure_corpus, read_corpus
    from pipelines.pronunciation.encoder_fit import (
        attach_states,
        cross_validate_encoder,
        encode_corpus,
        refit_encoder,
    )
    from pipelines.pronunciation.evaluate import render_cv
    from pipelines.pronunciation.model import read_model

    parser = argparse.ArgumentParser(prog="python -m pipelines.pronunciation.train")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--out", type=Path, default=ARTEFACT)
    parser.add_argument(
        "--encoder-only",
        action="store_true",
        help="refit only the encoder's clip scores of the artefact at --out (no measurements)",
    )
    args = parser.parse_args(argv)
    np.random.seed(SEED)
    states = args.cache.parent / "encoder"
    rows = read_corpus(args.data)
    encode_corpus(rows, states)
    if args.encoder_only:
        model = refit_encoder(rows, states, read_model(args.out), NAME, VERSION)
    else:
        records = attach_states(measure_corpus(args.data, args.cache), states)
        cv = cross_validate(records)
        cv["encoder_alone"] = cross_validate_encoder([r for r in records if r["clip"]])
        print(render_cv(cv))
        model = fit(records, cv)
    args.out.write_text(json.dumps(model.to_dict(), indent=1, sort_keys=True) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

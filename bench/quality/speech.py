"""Speech: pronunciation, fluency and prosody scores against experts, and error detection.

Two data sets:
- the learner read-aloud corpus (`learner-speech`: 300 clips, 15 Mandarin-speaking learners,
  expert sentence and word scores). The model is refitted leaving each speaker out in turn
  (`pipelines.pronunciation.train.cross_validate`), so every figure is speaker-wise
  cross-validated. Measurements come from `data/pronunciation/features.jsonl` when the
  training command already made them (same code, same clips), else they are made here;
- synthetic espeak-ng readings of the corpus sentences (`pipelines.pronunciation.synthetic`):
  correct, with two phonemes of one word substituted, with a word dropped, with a word
  inserted, each assessed end to end as the speaking job does it (Whisper primed with the
  text, a free Whisper decode, alignment, scoring); each step is timed.
Quick mode: 4 synthetic sentences, and 4 clips per speaker unless the corpus is measured.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from bench.quality import DATA_DIR, ROOT

CORPUS = DATA_DIR / "learner-speech"
CACHE = ROOT / "data" / "pronunciation" / "features.jsonl"
GOALS = {"accuracy": 0.70, "fluency": 0.70, "prosodic": 0.65, "total": 0.72}


def run(quick: bool = False) -> dict[str, Any]:
    from pipelines.pronunciation.corpus import measure_corpus
    from pipelines.pronunciation.train import cross_validate

    # Cached measurements cost nothing: quick mode only limits clips still to be measured.
    records = measure_corpus(CORPUS, CACHE, limit=60 if quick and not CACHE.exists() else None)
    cv = cross_validate(records)
    audio = sum(r["duration"] for r in records)
    cv["transcribe_seconds_per_audio_second"] = round(
        sum(r["transcribe_seconds"] for r in records) / audio, 3)
    cv["pronunciation_seconds_per_audio_second"] = round(
        sum(r["measure_seconds"] for r in records) / audio, 3)
    sentences = sorted({r["text"] for r in _rows()}, key=len)[:: 8 if quick else 2]
    sentences = sentences[: 4 if quick else 24]
    return {"corpus": cv, "synthetic": synthetic(sentences)}


def _rows() -> list[dict]:
    from pipelines.pronunciation.corpus import read_corpus

    return read_corpus(CORPUS)


def synthetic(sentences: list[str]) -> dict[str, Any]:
    """Error detection on espeak-ng readings of `sentences` (see the module notes)."""
    from pipelines.audio import decode_audio
    from pipelines.errors import PipelineError
    from pipelines.pronunciation import assess_pronunciation
    from pipelines.pronunciation.corpus import sentence_case
    from pipelines.pronunciation.synthetic import cases, synthesise
    from pipelines.transcription import TranscriptionConfig, build_transcriber

    transcriber = build_transcriber(TranscriptionConfig())
    counts = {k: {"tp": 0, "fp": 0, "fn": 0} for k in ("mispronunciation", "omission",
                                                       "insertion")}  # fmt: skip
    correct_words = accepted = 0
    not_judged = 0
    failures: list[str] = []
    timing = {"audio": 0.0, "transcribe": 0.0, "free": 0.0, "pronunciation": 0.0}
    with tempfile.TemporaryDirectory() as folder:
        for n, sentence in enumerate(sentences):
            for case in cases(sentence_case(sentence), seed=n):
                path = synthesise(case.spoken, Path(folder) / f"{n}-{case.kind}.wav")
                audio = decode_audio(path)
                started = time.perf_counter()
                try:
                    transcript = transcriber.transcribe(path, "en", prompt=case.reference)
                    middle = time.perf_counter()
                    free = transcriber.transcribe(path, "en")
                    scoring = time.perf_counter()
                    result = assess_pronunciation(audio.samples, audio.sample_rate, transcript,
                                                  reference_text=case.reference, language="en",
                                                  free_transcript=free)  # fmt: skip
                except PipelineError as exc:  # e.g. no_speech_detected: the errors go unfound
                    failures.append(f"{case.kind}: {exc.code}")
                    for kind in _missed(case.kind):
                        counts[kind]["fn"] += 1
                    continue
                timing["transcribe"] += middle - started
                timing["free"] += scoring - middle
                timing["pronunciation"] += time.perf_counter() - scoring
                timing["audio"] += audio.duration
                if not result.judged:
                    not_judged += 1
                    failures.append(f"{case.kind}: {result.reason}")
                    for kind in _missed(case.kind):
                        counts[kind]["fn"] += 1
                    continue
                _count(case, result.words, counts)
                if case.kind == "correct":
                    ref = [w for w in result.words
                           if w.error_type not in ("insertion", "repetition")]  # fmt: skip
                    correct_words += len(ref)
                    accepted += sum(w.error_type is None for w in ref)
    figures = {k: _prf(**v) for k, v in counts.items()}
    return {
        "sentences": len(sentences),
        "recordings": 4 * len(sentences),
        "not_judged": not_judged,
        "failures": failures,
        "correct_reading_words_accepted": round(accepted / max(1, correct_words), 4),
        "detection": figures,
        "transcribe_seconds_per_audio_second": round(timing["transcribe"] / timing["audio"], 3),
        "free_decode_seconds_per_audio_second": round(timing["free"] / timing["audio"], 3),
        "pronunciation_seconds_per_audio_second": round(
            timing["pronunciation"] / timing["audio"], 3),
    }  # fmt: skip


def _missed(kind: str) -> list[str]:
    return {"substitution": ["mispronunciation"], "omission": ["omission"],
            "insertion": ["insertion"]}.get(kind, [])  # fmt: skip


def _count(case, words, counts) -> None:
    reference = [w for w in words if w.error_type not in ("insertion", "repetition")]
    inserted = [w for w in words if w.error_type in ("insertion", "repetition")]
    for i, w in enumerate(reference):
        target = case.target == i
        if w.error_type in ("mispronunciation", "substitution"):
            key = "tp" if target and case.kind == "substitution" else "fp"
            counts["mispronunciation"][key] += 1
        elif target and case.kind == "substitution":
            counts["mispronunciation"]["fn"] += 1
        if w.error_type == "omission":
            key = "tp" if target and case.kind == "omission" else "fp"
            counts["omission"][key] += 1
        elif target and case.kind == "omission":
            counts["omission"]["fn"] += 1
    # The recogniser may spell a synthetic insertion its own way: in an insertion case the
    # first insertion reported is the one made, any other is false.
    hit = 1 if case.kind == "insertion" and inserted else 0
    counts["insertion"]["tp"] += hit
    counts["insertion"]["fp"] += len(inserted) - hit
    if case.kind == "insertion" and not inserted:
        counts["insertion"]["fn"] += 1


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3),
            "tp": tp, "fp": fp, "fn": fn}  # fmt: skip


def render(result: dict[str, Any]) -> str:
    cv, syn = result["corpus"], result["synthetic"]
    lines = [
        "### speech (pronunciation: gop-pocketsphinx-v2)",
        "",
        f"Learner corpus: {cv['clips_scored']} of {cv['clips']} clips, {cv['speakers']} "
        "speakers, leave-one-speaker-out cross-validation.",
        "",
        "| measure | value | goal |",
        "|---|---|---|",
    ]
    for target, goal in GOALS.items():
        lines.append(f"| Pearson {target} vs experts | {cv['pearson'][target]:.2f} | >= {goal} |")
    d = cv["mispronounced_detection"]
    lines += [
        f"| expert-correct words (score >= 8) accepted | {cv['correct_accepted']:.1%} "
        "| >= 95 % |",
        f"| mispronounced words (score < 8, {cv['mispronounced_words']}): precision / recall"
        f" / F1 | {d['precision']:.2f} / {d['recall']:.2f} / {d['f1']:.2f} | F1 >= 0.5 |",
        f"| false omissions (every corpus word was read) | {cv['false_omissions']} of "
        f"{cv['words']} | - |",
        f"| transcription (primed) s per audio s | "
        f"{cv['transcribe_seconds_per_audio_second']:.3f} | - |",
        f"| pronunciation pass s per audio s | "
        f"{cv['pronunciation_seconds_per_audio_second']:.3f} (x"
        f"{_ratio(cv):.2f} of transcription) | <= 0.5x |",
        "",
        f"Synthetic espeak-ng readings: {syn['sentences']} sentences x 4 "
        f"({len(syn['failures'])} not judged or failed: {', '.join(syn['failures']) or '-'}).",
        "",
        "| error | precision | recall | F1 | goal |",
        "|---|---|---|---|---|",
    ]
    goals = {"mispronunciation": ">= 0.8", "omission": ">= 0.95", "insertion": ">= 0.95"}
    for kind, f in syn["detection"].items():
        lines.append(f"| {kind} | {f['precision']:.2f} | {f['recall']:.2f} | {f['f1']:.2f} "
                     f"| {goals[kind]} |")  # fmt: skip
    lines += [
        "",
        f"Words of correct synthetic readings accepted: "
        f"{syn['correct_reading_words_accepted']:.1%}. Seconds per audio second: primed "
        f"decode (the transcript) {syn['transcribe_seconds_per_audio_second']:.3f}, free "
        f"decode (readings only) {syn['free_decode_seconds_per_audio_second']:.3f}, alignment "
        f"and scoring {syn['pronunciation_seconds_per_audio_second']:.3f}.",
    ]
    return "\n".join(lines)


def _ratio(cv: dict) -> float:
    return cv["pronunciation_seconds_per_audio_second"] / max(
        1e-9, cv["transcribe_seconds_per_audio_second"])


__all__ = ["render", "run"]

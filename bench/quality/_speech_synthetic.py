"""Error detection on synthetic espeak-ng readings (`pipelines.pronunciation.synthetic`), for
the speech section.

Every case is assessed end to end as the speaking job does it: Whisper primed with the text,
a free Whisper decode, alignment and scoring. The two decodes are the slow part and do not
change when the scorer does, so they are kept in `data/pronunciation/synthetic.jsonl`
(keyed by what espeak-ng spoke, the reference, the voice and the recogniser; with the
seconds they took, which the timing figures report); delete the file to decode again.

Counting: the substituted word flagged (mispronunciation or substitution) is a true
positive of mispronunciation detection, any other reference word flagged a false positive;
likewise the dropped word reported as an omission. An insertion is found when an inserted
word is reported between the two reference words the extra word was spoken between (the
recogniser may spell it its own way); any other reported insertion is a false positive.
A recording the job could not judge counts its error as missed.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import time
from pathlib import Path
from typing import Any

VOICE = "en-us"
SPEED = 150
KINDS = ("mispronunciation", "omission", "insertion")


def synthetic(sentences: list[str], cache: Path | None = None) -> dict[str, Any]:
    """Error detection on espeak-ng readings of `sentences` (see the module notes)."""
    from pipelines.audio import decode_audio
    from pipelines.errors import PipelineError
    from pipelines.pronunciation import assess_pronunciation
    from pipelines.pronunciation.corpus import sentence_case
    from pipelines.pronunciation.synthetic import cases, synthesise
    from pipelines.transcription import Transcript

    decoded = _read(cache)
    transcriber = None
    counts = {k: {"tp": 0, "fp": 0, "fn": 0} for k in KINDS}
    correct_words = accepted = not_judged = 0
    failures: list[str] = []
    misses: list[str] = []
    timing = {"audio": 0.0, "transcribe": 0.0, "free": 0.0, "pronunciation": 0.0}
    recordings = 0
    with tempfile.TemporaryDirectory() as folder:
        for n, sentence in enumerate(sentences):
            for case in cases(sentence_case(sentence), seed=n):
                recordings += 1
                path = synthesise(
                    case.spoken, Path(folder) / f"{n}-{case.kind}.wav", speed=SPEED, voice=VOICE
                )
                audio = decode_audio(path)
                key = _key(case.spoken, case.reference)
                if key not in decoded:
                    if transcriber is None:
                        from pipelines.transcription import TranscriptionConfig, build_transcriber

                        transcriber = build_transcriber(TranscriptionConfig())
                    decoded[key] = _decode(transcriber, path, case.reference)
                    _append(cache, key, decoded[key])
                record = decoded[key]
                if "error" in record:  # e.g. no_speech_detected: the errors go unfound
                    failures.append(f"{case.kind}: {record['error']}")
                    _miss(counts, case.kind)
                    continue
                started = time.perf_counter()
                try:
                    result = assess_pronunciation(
                        audio.samples,
                        audio.sample_rate,
                        Transcript.from_dict(record["primed"]),
                        reference_text=case.reference,
                        language="en",
                        free_transcript=Transcript.from_dict(record["free"]),
                    )
                except PipelineError as exc:
                    failures.append(f"{case.kind}: {exc.code}")
                    _miss(counts, case.kind)
                    continue
                timing["pronunciation"] += time.perf_counter() - started
                timing["transcribe"] += record["seconds"][0]
                timing["free"] += record["seconds"][1]
                timing["audio"] += audio.duration
                if not result.judged:
                    not_judged += 1
                    failures.append(f"{case.kind}: {result.reason}")
                    _miss(counts, case.kind)
                    continue
                if _count(case, result.words, counts):
                    misses.append(_describe(case, result.words))
                if case.kind == "correct":
                    ref = [
                        w for w in result.words if w.error_type not in ("insertion", "repetition")
                    ]
                    correct_words += len(ref)
                    accepted += sum(w.error_type is None for w in ref)
    audio_seconds = max(1e-9, timing["audio"])
    return {
        "sentences": len(sentences),
        "recordings": recordings,
        "not_judged": not_judged,
        "failures": failures,
        "misses": misses,
        "correct_reading_words_accepted": round(accepted / max(1, correct_words), 4),
        "detection": {k: _prf(**v) for k, v in counts.items()},
        "transcribe_seconds_per_audio_second": round(timing["transcribe"] / audio_seconds, 3),
        "free_decode_seconds_per_audio_second": round(timing["free"] / audio_seconds, 3),
        "pronunciation_seconds_per_audio_second": round(timing["pronunciation"] / audio_seconds, 3),
    }


def _decode(transcriber, path: Path, reference: str) -> dict[str, Any]:
    from pipelines.errors import PipelineError

    try:
        started = time.perf_counter()
        primed = transcriber.transcribe(path, "en", prompt=reference)
        middle = time.perf_counter()
        free = transcriber.transcribe(path, "en")
        seconds = [middle - started, time.perf_counter() - middle]
    except PipelineError as exc:
        return {"error": exc.code}
    return {"primed": primed.to_dict(), "free": free.to_dict(), "seconds": seconds}


def _key(spoken: str, reference: str) -> str:
    from pipelines.transcription import TranscriptionConfig

    config = TranscriptionConfig()
    model = config.whisper_model or "base"
    text = json.dumps([spoken, reference, VOICE, SPEED, model, config.beam_size])
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _read(cache: Path | None) -> dict[str, dict]:
    if cache is None or not cache.exists():
        return {}
    records = (json.loads(line) for line in cache.read_text().splitlines() if line.strip())
    return {r.pop("key"): r for r in records}


def _append(cache: Path | None, key: str, record: dict) -> None:
    if cache is None:
        return
    cache.parent.mkdir(parents=True, exist_ok=True)
    with open(cache, "a", encoding="utf-8") as out:
        out.write(json.dumps({"key": key, **record}) + "\n")


def _miss(counts: dict, kind: str) -> None:
    error = {
        "substitution": "mispronunciation",
        "omission": "omission",
        "insertion": "insertion",
    }.get(kind)
    if error:
        counts[error]["fn"] += 1


def _count(case, words, counts) -> bool:
    """Add the case's outcomes to `counts`; True when it had a miss or a false alarm."""
    before = _errors(counts)
    flagged_kinds = {
        "mispronunciation": ("mispronunciation", "substitution"),
        "omission": ("omission",),
    }
    reference = [w for w in words if w.error_type not in ("insertion", "repetition")]
    for kind, types in flagged_kinds.items():
        source = "substitution" if kind == "mispronunciation" else kind
        for i, w in enumerate(reference):
            target = case.kind == source and case.target == i
            if w.error_type in types:
                counts[kind]["tp" if target else "fp"] += 1
            elif target:
                counts[kind]["fn"] += 1
    seen = 0
    found = False
    for w in words:
        if w.error_type not in ("insertion", "repetition"):
            seen += 1
        elif case.kind == "insertion" and seen == case.target and not found:
            found = True
            counts["insertion"]["tp"] += 1
        else:
            counts["insertion"]["fp"] += 1
    if case.kind == "insertion" and not found:
        counts["insertion"]["fn"] += 1
    return _errors(counts) != before


def _errors(counts: dict) -> int:
    return sum(counts[k]["fp"] + counts[k]["fn"] for k in KINDS)


def _describe(case, words) -> str:
    said = " ".join(f"{w.word}<{w.error_type}>" if w.error_type else w.word for w in words)
    return f"{case.kind} @{case.target} spoken {case.spoken!r}: {said}"


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 3),
        "recall": round(recall, 3),
        "f1": round(f1, 3),
        "tp": tp,
        "fp": fp,
        "fn": fn,
    }

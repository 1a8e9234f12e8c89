"""The learner read-aloud corpus (expert-scored clips) and its measurements, for training and
the quality bench. Measuring a clip runs the production steps: Whisper decoding with the
reference as context, forced alignment, the phone loop and prosody."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path
from typing import Any

from pipelines.audio import decode_audio
from pipelines.pronunciation.measure import WORD_FEATURES, measure, phone_rows
from pipelines.transcription.alignment import normalise_tokens
from pipelines.transcription.types import Transcript

TARGETS = ("accuracy", "fluency", "prosodic", "total")


def read_corpus(folder: Path) -> list[dict[str, Any]]:
    """Rows of scores.tsv with the expert word scores aligned to the text's tokens."""
    rows = []
    with open(folder / "scores.tsv", newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            tokens = normalise_tokens(row["text"], "en")
            scores = [int(item.split(":")[1]) for item in row["words"].split()]
            row["word_scores"] = scores if len(scores) == len(tokens) else None
            row["path"] = str(folder / row["file"])
            rows.append(row)
    return rows


def transcribe_clip(transcriber, row: dict[str, Any]) -> dict[str, Any]:
    """The expensive step, kept apart so measurements can be redone without it: Whisper
    primed with the text, as the speaking job decodes a reading."""
    started = time.perf_counter()
    transcript = transcriber.transcribe(row["path"], "en", prompt=sentence_case(row["text"]))
    return {
        "file": row["file"],
        "transcript": transcript.to_dict(),
        "transcribe_seconds": time.perf_counter() - started,
    }


def measure_clip(row: dict[str, Any], transcribed: dict[str, Any]) -> dict[str, Any]:
    """The measurements of one corpus clip, as a JSON-ready record."""
    audio = decode_audio(row["path"])
    transcript = Transcript.from_dict(transcribed["transcript"])
    started = time.perf_counter()
    m = measure(audio.samples, audio.sample_rate, transcript, row["text"])
    record: dict[str, Any] = {
        "file": row["file"],
        "speaker": row["speaker"],
        "duration": audio.duration,
        "transcript": transcript.text,
        "transcribe_seconds": transcribed["transcribe_seconds"],
        "measure_seconds": time.perf_counter() - started,
        "labels": {t: float(row[t]) for t in TARGETS},
        "clip": {},
        "words": [],
    }
    if m is None:
        return record
    record["clip"] = m.clip
    scores = row["word_scores"]
    for w in m.words:
        label = scores[w.reference_index] if scores and w.reference_index is not None else None
        record["words"].append(
            {
                "text": w.text,
                "kind": w.kind,
                "label": label,
                "omitted": w.omitted,
                "heard": w.heard,
                "features": {k: w.features.get(k) for k in WORD_FEATURES} if w.features else None,
                "phones": phone_rows(w.aligned.phones) if w.aligned and w.features else [],
                # Where the aligner put the word (seconds), for measurements over its span.
                "start": w.aligned.start if w.aligned else None,
                "end": w.aligned.end if w.aligned else None,
            }
        )
    return record


def sentence_case(text: str) -> str:
    """The corpus writes its sentences in capitals; a prompt reads better as a sentence."""
    lowered = text.strip().lower()
    lowered = " ".join(
        "I" if t == "i" else ("I" + t[1:] if t.startswith("i'") else t) for t in lowered.split()
    )
    return lowered[:1].upper() + lowered[1:]


def measure_corpus(folder: Path, cache: Path, limit: int | None = None, log=print) -> list[dict]:
    """Measure every clip (or `limit` spread over the speakers). Transcripts are cached in
    `cache` with the suffix .transcripts.jsonl, measurements in `cache` itself; delete the
    latter to measure again after a change to the measurements."""
    rows = read_corpus(folder)
    if limit:
        rows = _spread(rows, limit)
    transcripts_path = cache.with_suffix(".transcripts.jsonl")
    transcripts = _read_jsonl(transcripts_path)
    done = {f: r for f, r in _read_jsonl(cache).items() if is_current(r)}
    transcriber = None
    cache.parent.mkdir(parents=True, exist_ok=True)
    with (
        open(transcripts_path, "a", encoding="utf-8") as tout,
        open(cache, "a", encoding="utf-8") as out,
    ):
        for n, row in enumerate(rows, 1):
            if row["file"] in done:
                continue
            if row["file"] not in transcripts:
                if transcriber is None:
                    from pipelines.transcription import TranscriptionConfig, build_transcriber

                    transcriber = build_transcriber(TranscriptionConfig())
                transcripts[row["file"]] = transcribe_clip(transcriber, row)
                tout.write(json.dumps(transcripts[row["file"]]) + "\n")
                tout.flush()
            done[row["file"]] = measure_clip(row, transcripts[row["file"]])
            out.write(json.dumps(done[row["file"]]) + "\n")
            out.flush()
            if n % 20 == 0:
                log(f"measured {n}/{len(rows)} clips")
    return [done[row["file"]] for row in rows]


def is_current(record: dict) -> bool:
    """Whether a cached record has every measurement of today's code (an older one is
    measured again from its cached transcript; the file keeps the last record of a clip)."""
    return all(
        "omitted" in w and (not w["features"] or set(WORD_FEATURES) <= w["features"].keys())
        for w in record["words"]
    )


def read_measurements(cache: Path) -> list[dict]:
    """The measured clips in `cache`, as training uses them."""
    return [r for r in _read_jsonl(cache).values() if is_current(r)]


def _read_jsonl(path: Path) -> dict[str, dict]:
    if not path.exists():
        return {}
    records = (json.loads(line) for line in path.read_text().splitlines() if line.strip())
    return {r["file"]: r for r in records}


def _spread(rows: list[dict], limit: int) -> list[dict]:
    """`limit` rows taken evenly from every speaker."""
    speakers: dict[str, list[dict]] = {}
    for row in rows:
        speakers.setdefault(row["speaker"], []).append(row)
    per = max(1, limit // len(speakers))
    return [row for group in speakers.values() for row in group[:per]]

"""Transcription benchmark: bare faster-whisper against the speech pipeline on the same clip.

    .venv/bin/python bench/transcription.py [--clip PATH] [--runs 5] [--language en]

Rows (each timed over --runs runs after one warm-up run; the model is loaded once, before):

- bare faster-whisper: `WhisperModel.transcribe` on the file path with word timestamps, the
  segments consumed, nothing else; the same model directory, device and compute type.
- pipeline transcribe: `LocalTranscriber.transcribe` (PyAV decode with limits, VAD, word
  timestamps, word-edge tightening, dataclasses).
- pipeline transcribe + fluency + scoring: the above, then `measure_fluency` and the offline
  `assess_speaking` (what the speaking job computes, without the database and queues).

Columns: p50/min/max wall time in seconds, real-time factor (p50 / audio seconds: below 1 is
faster than real time) and the ratio of p50 to the bare row. Numbers are also written to
bench/results/transcription.json. Without --clip the clip is the fixture sentences joined
(about 40 s of espeak-ng speech).
"""

from __future__ import annotations

import argparse
import io
import json
import platform
import statistics
import sys
import tempfile
import time
import wave
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pipelines.audio import decode_audio  # noqa: E402
from pipelines.fluency import measure_fluency  # noqa: E402
from pipelines.speaking import assess_speaking  # noqa: E402
from pipelines.transcription import TranscriptionConfig  # noqa: E402
from pipelines.transcription.local import LocalTranscriber  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "audio"
DEFAULT_PARTS = (
    "en_market.wav", "en_nurse.wav", "en_patience.wav", "en_reading.wav",
    "en_long_pause.wav", "en_fluent.wav", "en_paced.wav",
)  # fmt: skip
RESULTS = ROOT / "bench" / "results" / "transcription.json"


def default_clip(directory: Path) -> Path:
    """The fixture sentences joined into one WAV in `directory`."""
    samples = np.concatenate([decode_audio(FIXTURES / name).samples for name in DEFAULT_PARTS])
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2")
    path = directory / "transcription-clip.wav"
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16_000)
        out.writeframes(pcm.tobytes())
    path.write_bytes(buffer.getvalue())
    return path


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    fn()  # warm-up: first-call allocations and caches are not what a worker sees
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def summarise(times: list[float], audio_seconds: float, bare_p50: float | None) -> dict:
    p50 = statistics.median(times)
    return {
        "p50_s": round(p50, 3),
        "min_s": round(min(times), 3),
        "max_s": round(max(times), 3),
        "rtf": round(p50 / audio_seconds, 4),
        "ratio_to_bare": round(p50 / bare_p50, 3) if bare_p50 else 1.0,
        "runs": len(times),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clip", type=Path, help="audio file (default: fixture sentences)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--language", default="en")
    parser.add_argument("--cache-dir", type=Path, default=ROOT / "data" / "models")
    args = parser.parse_args()

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    clip = args.clip or default_clip(Path(tempfile.gettempdir()))
    audio_seconds = decode_audio(clip, max_seconds=3600).duration
    config = TranscriptionConfig(cache_dir=args.cache_dir, max_audio_seconds=3600)
    transcriber = LocalTranscriber(config)
    model = transcriber._whisper  # the very model instance the pipeline uses

    def bare() -> None:
        segments, _ = model.transcribe(
            str(clip), language=args.language, beam_size=config.beam_size, word_timestamps=True
        )
        list(segments)

    def pipeline() -> None:
        transcriber.transcribe(clip, language=args.language)

    def pipeline_scored() -> None:
        transcript = transcriber.transcribe(clip, language=args.language)
        measure_fluency(transcript.words, args.language, transcript.duration)
        assess_speaking(transcript, language=args.language)

    rows: dict[str, dict] = {}
    bare_times = timed(bare, args.runs)
    rows["bare faster-whisper"] = summarise(bare_times, audio_seconds, None)
    bare_p50 = rows["bare faster-whisper"]["p50_s"]
    rows["pipeline transcribe"] = summarise(timed(pipeline, args.runs), audio_seconds, bare_p50)
    rows["pipeline transcribe + fluency + scoring"] = summarise(
        timed(pipeline_scored, args.runs), audio_seconds, bare_p50
    )

    print(f"clip: {clip} ({audio_seconds:.1f} s of audio)")
    print(
        f"model: {transcriber.model} on {transcriber.runtime.device} "
        f"({transcriber.runtime.compute_type}); {args.runs} runs after a warm-up"
    )
    print(f"{'':42} {'p50 s':>8} {'min s':>8} {'max s':>8} {'RTF':>8} {'x bare':>8}")
    for name, row in rows.items():
        print(
            f"{name:42} {row['p50_s']:8.2f} {row['min_s']:8.2f} {row['max_s']:8.2f} "
            f"{row['rtf']:8.3f} {row['ratio_to_bare']:8.2f}"
        )

    previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    previous.update(
        {
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "clip": str(clip.relative_to(ROOT) if clip.is_relative_to(ROOT) else clip),
            "audio_seconds": round(audio_seconds, 3),
            "model": transcriber.model,
            "device": transcriber.runtime.device,
            "compute_type": transcriber.runtime.compute_type,
            "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
            "results": {**previous.get("results", {}), **rows},
        }
    )
    RESULTS.write_text(json.dumps(previous, indent=2) + "\n")
    print(f"written: {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

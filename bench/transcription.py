"""Transcription benchmark: bare faster-whisper against the speech pipeline on the same clip.

    .venv/bin/python bench/transcription.py [--clip PATH] [--runs 5] [--language en]

Rows (the model is loaded once, before; each variant runs once as a warm-up, then --runs
rounds run every variant once in turn, so load from other processes falls on all alike):

- bare faster-whisper: `WhisperModel.transcribe` on the file path with the pipeline's
  decoding options (beam 5, word timestamps, Silero VAD, no conditioning on previous text),
  the segments consumed, nothing else; the same loaded model. Every ratio is against it.
- bare faster-whisper, defaults: the same with faster-whisper's default options plus word
  timestamps (no VAD, so silence is decoded too).
- pipeline transcribe: `LocalTranscriber.transcribe` (PyAV decode with limits, VAD, word
  timestamps, word-edge tightening, dataclasses).
- pipeline transcribe + fluency + scoring: the above, then `measure_fluency` and the offline
  `assess_speaking` (what the speaking job computes, without the database and queues).
- speaking job via API + worker: POST /api/v1/assessments/speaking through the Flask app,
  a real Dramatiq worker on Redis running `speaking_transcribe` (transcription queue) then
  `speaking_score` (scoring queue) against PostgreSQL, timed from the POST to the long-poll
  answer that reports the job finished. The worker is in this process, so the model it uses
  is the one already loaded: the numbers are those of a warm worker. Needs PostgreSQL and
  Redis (--database-url, --redis-url; BENCH_DATABASE_URL, BENCH_REDIS_URL); the database is
  created and migrated when missing, each run uses its own organisation and queue prefix.
  Skipped with --no-job or when either service is unreachable.

Columns: p50/min/max wall time in seconds, real-time factor (p50 / audio seconds: below 1 is
faster than real time) and the ratio of p50 to the bare row. Numbers are also written to
bench/results/transcription.json. Without --clip the clip is the fixture sentences joined
(about 40 s of espeak-ng speech).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import wave
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from flask.testing import FlaskClient

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pipelines.audio import decode_audio  # noqa: E402
from pipelines.fluency import measure_fluency  # noqa: E402
from pipelines.speaking import assess_speaking  # noqa: E402
from pipelines.transcription import TranscriptionConfig  # noqa: E402
from pipelines.transcription.local import VAD_PARAMETERS, LocalTranscriber  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "audio"
DEFAULT_PARTS = (
    "en_market.wav",
    "en_nurse.wav",
    "en_patience.wav",
    "en_reading.wav",
    "en_long_pause.wav",
    "en_fluent.wav",
    "en_paced.wav",
)
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


def timed_rounds(variants: dict[str, Callable[[], object]], runs: int) -> dict[str, list[float]]:
    """Wall times of each variant over `runs` interleaved rounds, after one warm-up each."""
    for fn in variants.values():
        fn()  # warm-up: first-call allocations and caches are not what a worker sees
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(runs):
        for name, fn in variants.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
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
    parser.add_argument("--no-job", action="store_true", help="skip the job-engine row")
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/bench_speech"
        ),
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
    )
    args = parser.parse_args()

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    clip = args.clip or default_clip(Path(tempfile.gettempdir()))
    audio_seconds = decode_audio(clip, max_seconds=3600).duration
    config = TranscriptionConfig(cache_dir=args.cache_dir, max_audio_seconds=3600)
    transcriber = LocalTranscriber(config)
    model = transcriber._whisper  # the very model instance the pipeline uses

    def bare() -> None:
        segments, _ = model.transcribe(
            str(clip),
            language=args.language,
            beam_size=config.beam_size,
            word_timestamps=True,
            vad_filter=True,
            vad_parameters=VAD_PARAMETERS,
            condition_on_previous_text=False,
        )
        list(segments)

    def bare_defaults() -> None:
        segments, _ = model.transcribe(str(clip), language=args.language, word_timestamps=True)
        list(segments)

    def pipeline() -> None:
        transcriber.transcribe(clip, language=args.language)

    def pipeline_scored() -> None:
        transcript = transcriber.transcribe(clip, language=args.language)
        measure_fluency(transcript.words, args.language, transcript.duration)
        assess_speaking(transcript, language=args.language)

    variants: dict[str, Callable[[], object]] = {
        "bare faster-whisper": bare,
        "bare faster-whisper, defaults": bare_defaults,
        "pipeline transcribe": pipeline,
        "pipeline transcribe + fluency + scoring": pipeline_scored,
    }
    with contextlib.ExitStack() as stack:
        if not args.no_job:
            job = stack.enter_context(speaking_job(args, clip))
            if job is not None:
                variants["speaking job via API + worker"] = job
        times = timed_rounds(variants, args.runs)
    bare_p50 = statistics.median(times["bare faster-whisper"])
    rows = {name: summarise(t, audio_seconds, bare_p50) for name, t in times.items()}

    print(f"clip: {clip} ({audio_seconds:.1f} s of audio)")
    print(
        f"model: {transcriber.model} on {transcriber.runtime.device} "
        f"({transcriber.runtime.compute_type}); {args.runs} interleaved rounds after a warm-up"
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


@contextlib.contextmanager
def speaking_job(args: argparse.Namespace, clip: Path) -> Iterator[Callable[[], None] | None]:
    """A function that submits one speaking assessment through the API and waits for it,
    with a real worker running meanwhile; None when PostgreSQL or Redis is unreachable."""
    import dramatiq
    import redis
    from flask_migrate import upgrade

    from api import create_app
    from core.settings import Settings
    from storage.ids import random_token

    try:
        _ensure_database(args.database_url)
        redis.Redis.from_url(args.redis_url, socket_connect_timeout=3).ping()
    except Exception as exc:  # a benchmark without the services still reports the rest
        print(f"speaking job row skipped: {type(exc).__name__}: {exc}")
        yield None
        return
    data_dir = Path(tempfile.mkdtemp(prefix="bench-speech-"))
    settings = Settings(
        env="test",
        secret_key="bench-secret-key-long-enough-for-hs256-signing",
        data_dir=data_dir,
        database_url=args.database_url,
        redis_url=args.redis_url,
        queue_prefix=f"bench-{random_token(4)}-",
        embedded_services=False,
        whisper_cache_dir=args.cache_dir,
        log_json=False,
        log_level="WARNING",
    ).finalised()
    app = create_app(settings, start_services=False)
    worker = None
    try:
        with app.app_context():
            upgrade(revision="head")
        client = app.test_client()
        headers = _register(client)
        media_id = _upload(client, headers, clip)
        worker = dramatiq.Worker(app.extensions["runtime"].broker, worker_threads=1)
        worker.start()

        def job() -> None:
            answer = client.post(
                "/api/v1/assessments/speaking",
                headers=headers,
                json={"media_id": media_id, "language": args.language},
            )
            if answer.status_code != 202:
                raise RuntimeError(f"submission refused: {answer.get_json()}")
            location = answer.headers["Location"]
            while True:
                state = client.get(f"{location}?wait=30", headers=headers).get_json()
                if state["status"] in ("succeeded", "failed", "canceled"):
                    break
            if state["status"] != "succeeded":
                raise RuntimeError(f"job {state['status']}: {state['error']}")

        yield job
    finally:
        if worker is not None:
            worker.stop(timeout=30_000)
        app.extensions["runtime"].stop()


def _ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1].split("?")[0]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as connection:
        if not connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
        ).fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')


def _register(client: FlaskClient) -> dict[str, str]:
    tag = datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")
    answer = client.post(
        "/api/v1/auth/register",
        json={
            "email": f"bench-{tag}@example.test",
            "password": "bench password 123",
            "name": "Bench",
            "organisation_name": f"Bench {tag}",
            "timezone": "UTC",
        },
    )
    if answer.status_code != 201:
        raise RuntimeError(f"registration refused: {answer.get_json()}")
    return {"Authorization": f"Bearer {answer.get_json()['access_token']}"}


def _upload(client: FlaskClient, headers: dict[str, str], clip: Path) -> str:
    with open(clip, "rb") as handle:
        answer = client.post(
            "/api/v1/media",
            headers=headers,
            data={"kind": "audio", "file": (handle, clip.name)},
            content_type="multipart/form-data",
        )
    if answer.status_code != 201:
        raise RuntimeError(f"upload refused: {answer.get_json()}")
    return answer.get_json()["id"]


if __name__ == "__main__":
    raise SystemExit(main())

"""Transcription: runs the speech area's benchmark (bench/transcription.py: bare faster-whisper
against the pipeline and the speaking-assessment job on the same clip) in a process of its
own, and reads back the numbers it wrote."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from bench.services import DATABASE_URL, ROOT

RESULTS = ROOT / "bench" / "results" / "transcription.json"


def run(redis_url: str, runs: int = 3) -> dict[str, Any]:
    # Its own Redis database: the speaking job's queues must not meet the other benchmarks'.
    redis_db1 = redis_url.rsplit("/", 1)[0] + "/1"
    RESULTS.unlink(missing_ok=True)  # every row read back is from this run
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "transcription.py"),
            "--runs",
            str(runs),
            "--database-url",
            DATABASE_URL,
            "--redis-url",
            redis_db1,
        ],
        cwd=ROOT,
        check=True,
        timeout=3600,
    )
    measured = json.loads(RESULTS.read_text())
    return {
        "title": "Transcription (speech pipeline and job vs bare faster-whisper)",
        "settings": {
            "runs": runs,
            "clip": measured.get("clip"),
            "audio_seconds": measured.get("audio_seconds"),
            "model": measured.get("model"),
            "device": measured.get("device"),
            "compute_type": measured.get("compute_type"),
        },
        "rows": measured["results"],
    }

"""A class assessed at once on the embedded default (`make run`: one process, SQLite, local
media, in-process workers), through the calls the teacher console makes: 30 recordings of
about 30 s, each uploaded with a presigned PUT, a manifest mapping them to 30 learners, one
batch, its progress followed by long polling. Against the same recordings submitted as 30
speaking assessments one by one in the same run (the baseline: the work without the batch).

Measured: wall time from the first upload to the last result, and to the last job; for each
item, how long after its job finished the long poll showed it (the console's progress
goal: within 1 s); the console's pages and assets, served and timed over HTTP.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import requests

from bench.services import ROOT, VENV_BIN, free_port, percentile, register_admin, wait_until

RECORDINGS = 30
SECONDS = 30
# Sentences a learner might say about their week; each recording joins them in another order.
SENTENCES = [
    "Last weekend I visited my grandmother, who lives in a small village near the sea.",
    "We cooked a big lunch together and then we walked along the beach for two hours.",
    "On Monday I started a new course at the library, and the teacher is very patient.",
    "I usually take the bus to work, but yesterday I rode my bicycle because it was sunny.",
    "My brother wants to study engineering, so he is preparing for his exams every evening.",
    "In the future I would like to travel to Canada and see the mountains in winter.",
    "The market in my town is busy on Saturdays, and the fruit there is cheap and fresh.",
    "When I was a child I played football in the street with my friends after school.",
]
CONSOLE_PAGES = (
    "/console",
    "/console/classes/x",
    "/console/assignments/x",
    "/console/static/console.js",
    "/console/static/upload.js",
    "/console/static/console.css",
)


def _recording(index: int, folder: Path) -> Path:
    """About 30 s of English speech from espeak-ng: five sentences, a speed per learner."""
    order = (SENTENCES[index % len(SENTENCES) :] + SENTENCES[: index % len(SENTENCES)])[:5]
    wav = folder / f"learner{index:02d}.wav"
    subprocess.run(
        ["espeak-ng", "-v", "en", "-s", str(135 + index % 4 * 5), "-w", str(wav), " ".join(order)],
        check=True,
        capture_output=True,
    )
    return wav


def _embedded(data_dir: Path) -> tuple[subprocess.Popen, str]:
    """The platform as `make run` starts it, on a free port."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_URL", "REDIS_URL", "STORAGE_BACKEND", "S3_"))
    }
    env.update(
        DATA_DIR=str(data_dir),
        PUBLIC_BASE_URL=base,
        PYTHONPATH=str(ROOT),
        LOG_LEVEL="WARNING",
        ACCESS_TOKEN_TTL="7200",  # the run outlasts 15 min
        RATE_LIMITS="submit=1000000/minute,register=1000000/minute",
    )
    flask = str(VENV_BIN / "flask")
    subprocess.run(
        [flask, "--app", "api:create_app(start_services=False)", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    process = subprocess.Popen(
        [
            flask,
            "--app",
            "wsgi:app",
            "run",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-reload",
            "--with-threads",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )

    def up() -> bool:
        try:
            return requests.get(base + "/readyz", timeout=5).status_code == 200
        except requests.RequestException:
            return False

    wait_until(up, 120, "the embedded platform")
    return process, base


class Api:
    def __init__(self, base: str, token: str) -> None:
        self.base, self.headers = base, {"Authorization": f"Bearer {token}"}

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        answer = requests.request(
            method, self.base + path, headers=self.headers, timeout=60, **kwargs
        )
        answer.raise_for_status()
        return answer.json() if answer.content else None


def _class_of(api: Api, count: int) -> tuple[str, list[str]]:
    emails = [f"learner{n:02d}@bench.example.test" for n in range(count)]
    for n, email in enumerate(emails):
        api.call(
            "PUT",
            f"/api/v1/learners/lms/bench/s{n:02d}",
            json={"name": f"Learner {n}", "email": email},
        )
    school = api.call("POST", "/api/v1/classes", json={"name": "5B", "language": "en"})
    api.call(
        "POST",
        f"/api/v1/classes/{school['id']}/members",
        json={"role": "learner", "emails": emails},
    )
    return school["id"], emails


def _upload(api: Api, path: Path, kind: str) -> str:
    """As the console uploads: a presigned PUT straight to storage, then complete."""
    made = api.call(
        "POST",
        "/api/v1/media/uploads",
        json={"filename": path.name, "kind": kind, "size": path.stat().st_size},
    )
    target = made["upload"]
    with path.open("rb") as body:
        requests.request(
            target["method"],
            target["url"],
            data=body,
            headers=target.get("headers") or {},
            timeout=60,
        ).raise_for_status()
    api.call("POST", f"/api/v1/media/{made['media']['id']}/complete")
    return made["media"]["id"]


def _finished_at(api: Api, job_id: str) -> float:
    return datetime.fromisoformat(
        api.call("GET", f"/api/v1/jobs/{job_id}")["finished_at"]
    ).timestamp()


def _batch(api: Api, class_id: str, emails: list[str], wavs: list[Path]) -> dict[str, Any]:
    assignment = api.call(
        "POST",
        "/api/v1/assignments",
        json={
            "class_id": class_id,
            "title": "My week",
            "kind": "speaking",
            "language": "en",
            "level": "B1",
            "prompt_text": "Tell me about your week.",
        },
    )
    started = time.monotonic()
    media_ids = [_upload(api, wav, "audio") for wav in wavs]
    manifest = wavs[0].parent / "manifest.csv"
    manifest.write_text(
        "filename,learner\n"
        + "".join(f"{wav.name},{email}\n" for wav, email in zip(wavs, emails, strict=True))
    )
    manifest_id = _upload(api, manifest, "document")
    uploaded = time.monotonic() - started
    batch = api.call(
        "POST",
        f"/api/v1/assignments/{assignment['id']}/batches",
        json={"media_ids": media_ids, "manifest_media_id": manifest_id},
    )
    # The console's progress: long polls, each answered when the counts change.
    seen: list[tuple[float, int]] = []  # (wall clock, items finished) at each change
    done, version = 0, batch["version"]
    while True:
        state = api.call("GET", f"/api/v1/batches/{batch['id']}?wait=30&since={version}")
        version = state["version"]
        now = time.time()
        finished = sum(state["counts"][s] for s in ("succeeded", "failed", "canceled"))
        if finished != done:
            seen.append((now, finished))
            done = finished
        if state["status"] in ("completed", "failed"):
            break
    total = time.monotonic() - started
    items = api.call("GET", f"/api/v1/batches/{batch['id']}/items?per_page=100")["items"]
    ends = sorted(_finished_at(api, item["job_id"]) for item in items if item["job_id"])
    # Each item is shown by the first change whose count reaches its rank.
    lags = [
        next(at for at, count in seen if count >= rank) - end
        for rank, end in enumerate(ends, start=1)
    ]
    return {
        "seconds": round(total, 1),
        "upload_seconds": round(uploaded, 1),
        "counts": state["counts"],
        "progress_lag_ms": {
            "p50": round(percentile(lags, 50) * 1000),
            "max": round(max(lags) * 1000),
            "within_1s": sum(lag <= 1.0 for lag in lags),
        },
    }


def _direct(api: Api, wavs: list[Path]) -> dict[str, Any]:
    started = time.monotonic()
    jobs = []
    for wav in wavs:
        media_id = _upload(api, wav, "audio")
        jobs.append(
            api.call(
                "POST",
                "/api/v1/assessments/speaking",
                json={"media_id": media_id, "language": "en"},
            )["id"]
        )
    statuses = {}
    for job_id in jobs:
        while True:
            job = api.call("GET", f"/api/v1/jobs/{job_id}?wait=30")
            if job["status"] in ("succeeded", "failed", "canceled"):
                statuses[job_id] = job["status"]
                break
    return {
        "seconds": round(time.monotonic() - started, 1),
        "succeeded": sum(s == "succeeded" for s in statuses.values()),
    }


def _pages(base: str, rounds: int = 20) -> dict[str, Any]:
    timings: dict[str, list[float]] = {page: [] for page in CONSOLE_PAGES}
    for _ in range(rounds):
        for page in CONSOLE_PAGES:
            started = time.perf_counter()
            requests.get(base + page, timeout=30).raise_for_status()
            timings[page].append(time.perf_counter() - started)
    whole = [sum(timings[page][n] for page in CONSOLE_PAGES) for n in range(rounds)]
    return {
        "page_ms": {page: round(statistics.median(t) * 1000, 1) for page, t in timings.items()},
        "all_pages_and_assets_ms": round(statistics.median(whole) * 1000, 1),
    }


def run(recordings: int = RECORDINGS) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    process = None
    try:
        wavs = [_recording(n, folder) for n in range(recordings)]
        audio_seconds = sum(_wav_seconds(wav) for wav in wavs)
        process, base = _embedded(folder / "data")
        api = Api(base, register_admin(base))
        class_id, emails = _class_of(api, recordings)
        # Warm-up: the first assessment loads the models (Whisper, the pronunciation tools).
        _direct(api, wavs[:1])
        batch = _batch(api, class_id, emails, wavs)
        direct = _direct(api, wavs)
        pages = _pages(base)
        return {
            "title": "Class batch (embedded default)",
            "settings": {"recordings": recordings, "audio_seconds": round(audio_seconds, 1)},
            "platform": batch,
            "baseline": direct,
            "ratio": round(batch["seconds"] / direct["seconds"], 3),
            "console": pages,
        }
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(folder, ignore_errors=True)


def _wav_seconds(path: Path) -> float:
    import wave

    with wave.open(str(path)) as audio:
        return audio.getnframes() / audio.getframerate()


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(int(sys.argv[1]) if len(sys.argv) > 1 else RECORDINGS), indent=2))

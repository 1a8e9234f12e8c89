"""`python -m bench [api] [jobs] [upload] [transcription] [writing] [batch] [conversation]
[search] [quality] [--quick]`: run the benchmarks (all by default), each against its baseline
in the same run on the same machine, print one table and merge the numbers into
bench/results/latest.json.
`quality [SECTION...]` measures the scorers against labelled data (bench/quality, figures in
bench/results/quality.json) and needs no services.

Needs PostgreSQL (BENCH_DATABASE_URL, default database bench_platform on 127.0.0.1:5432,
created and migrated when missing), `redis-server` (a private one is started on a free port)
and `wrk`. Nothing here asserts a timing: the numbers are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import traceback
from datetime import UTC, datetime
from typing import Any

from bench.services import ROOT, prepare_database, private_redis
from bench.table import render

RESULTS = ROOT / "bench" / "results" / "latest.json"
ORDER = ("api", "jobs", "upload", "transcription", "writing", "batch", "conversation", "search")
QUALITY = ROOT / "bench" / "results" / "quality.json"
MiB = 1024 * 1024


def _run_one(name: str, redis_url: str, quick: bool) -> dict[str, Any]:
    if name == "api":
        from bench import api_submission

        return api_submission.run(redis_url, seconds=5 if quick else 12)
    if name == "jobs":
        from bench import job_overhead

        return job_overhead.run(
            redis_url, sequential=30 if quick else 100, burst=150 if quick else 500
        )
    if name == "upload":
        from bench import upload

        sizes = {"20 MiB": 20 * MiB, "200 MiB": 200 * MiB} if quick else None
        return upload.run(redis_url, sizes)
    if name == "batch":
        from bench import batch

        return batch.run(recordings=5 if quick else batch.RECORDINGS)
    if name == "conversation":
        from bench import conversation

        return conversation.run(runs=2 if quick else 5)
    if name == "search":
        from bench import search

        return search.run(redis_url, lessons=2000 if quick else search.LESSONS)
    if name == "writing":
        from bench import writing

        return writing.run(runs=1 if quick else 5)
    from bench import speech

    return speech.run(redis_url, runs=1 if quick else 3)


def machine() -> dict[str, Any]:
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def _quality(quick: bool, sections: list[str] | None = None) -> list[str]:
    from bench import quality

    results = quality.run(quick=quick, names=sections)
    previous = json.loads(QUALITY.read_text()) if QUALITY.exists() else {}
    merged = {
        "machine": machine(),
        "quick": quick,
        "sections": {**previous.get("sections", {}), **results},
    }
    QUALITY.parent.mkdir(parents=True, exist_ok=True)
    QUALITY.write_text(json.dumps(merged, indent=2) + "\n")
    print()
    print(quality.render(results))
    print(f"\nwritten: {QUALITY.relative_to(ROOT)}")
    return [f"quality/{name}" for name, result in results.items() if "error" in result]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument(
        "names",
        nargs="*",
        metavar="NAME",
        help=f"benchmarks to run: {', '.join(ORDER)} (default: all)",
    )
    parser.add_argument("--quick", action="store_true", help="shorter runs, smaller sizes")
    args = parser.parse_args(argv)
    from bench import quality as quality_sections

    # After "quality", a name that is also a benchmark ("writing") means the quality section.
    sections = [
        name
        for name in args.names
        if name in quality_sections.sections() and ("quality" in args.names or name not in ORDER)
    ]
    unknown = set(args.names) - set(ORDER) - {"quality"} - set(sections)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    quality = "quality" in args.names or bool(sections) or not args.names
    names = [name for name in ORDER if name in args.names and name not in sections] or (
        [] if args.names else list(ORDER)
    )
    failed = _quality(args.quick, sections or None) if quality else []
    if not names:
        return 1 if failed else 0

    results: dict[str, Any] = {}
    with private_redis() as redis_url:
        prepare_database(redis_url)
        for name in names:
            print(f"-- {name} ...", flush=True)
            started = time.monotonic()
            try:
                results[name] = _run_one(name, redis_url, args.quick)
            except Exception as exc:  # one broken benchmark must not hide the others' numbers
                traceback.print_exc()
                results[name] = {"error": f"{type(exc).__name__}: {exc}"}
                failed.append(name)
            results[name]["measured_at"] = datetime.now(UTC).isoformat(timespec="seconds")
            results[name]["wall_seconds"] = round(time.monotonic() - started, 1)

    previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    merged = {
        "machine": machine(),
        "quick": args.quick,
        "benchmarks": {**previous.get("benchmarks", {}), **results},
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(merged, indent=2) + "\n")
    print()
    print(render(merged["benchmarks"]))
    print(f"\nwritten: {RESULTS.relative_to(ROOT)}")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

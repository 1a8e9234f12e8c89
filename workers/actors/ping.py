"""The diagnostic `ping` job: exercises the engine (claim, progress, retries, cancel)
without AI work. Used by tests and benchmarks."""

from __future__ import annotations

import time

from pipelines.errors import PipelineError, TransientError
from workers.engine import JobContext, Outcome, job_actor


@job_actor("ping", name="ping", queue="scoring", max_attempts=5, lease_seconds=30)
def ping(ctx: JobContext) -> Outcome:
    sleep_ms = int(ctx.input.get("sleep_ms", 0))
    fail_times = int(ctx.input.get("fail_times", 0))
    started = time.perf_counter()
    ctx.report("pinging", 10)
    if ctx.input.get("reject"):
        raise PipelineError("ping_rejected", "The ping was asked to fail permanently.")
    if ctx.job.attempts <= fail_times:
        raise TransientError(
            "ping_transient", f"Planned failure {ctx.job.attempts} of {fail_times}."
        )
    # Sleep in slices so a cancel request is seen between them.
    steps = max(1, sleep_ms // 100)
    for step in range(steps):
        time.sleep(sleep_ms / steps / 1000)
        ctx.report("pinging", 10 + int(80 * (step + 1) / steps))
    return Outcome(
        {
            "pong": True,
            "attempt": ctx.job.attempts,
            "slept_ms": sleep_ms,
            "elapsed_ms": round((time.perf_counter() - started) * 1000, 1),
        },
        provider="engine",
        model="ping",
    )

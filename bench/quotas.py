"""`python -m bench.quotas [N]`: what a quota check adds to a submission, on PostgreSQL.

For N writing submissions of one organisation (rotating over 50 learners), times what
`api.jobs.submission.reserve_quota` does before the job row is written: the charge, the
organisation's plan (from the process's plan cache, which the warm-up fills), and one
conditional multi-row upsert of the limited counters (three: assessments for the
organisation per day and per month and the learner per day; four with the LLM-token
admission, as `free` and `school` count a writing assessment), each submission in its own
committed transaction (the commit, which the submission makes anyway, is not timed; the
transaction's BEGIN, sent with the first statement, is). The baseline is the same with the
`unlimited` plan (no counter). Besides the wall-clock time it prints the SQL statements per
check and the CPU time this process spent per check (what a loaded machine inflates least).
Needs PostgreSQL (BENCH_DATABASE_URL) and `redis-server`; prints the numbers.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.services import DATABASE_URL, SECRET_KEY, percentile, prepare_database, private_redis

PLAN, PLAN_LLM = "bench", "bench_llm"
LIMITS_SHAPE = (
    ("organisation", "day", "assessments"),
    ("organisation", "month", "assessments"),
    ("learner", "day", "assessments"),
)
# As `free` and `school` limit a writing assessment: the three above and the LLM admission.
LLM_SHAPE = (*LIMITS_SHAPE, ("organisation", "month", "llm_tokens"))


def _measure(app, organisation_id: str, plan: str, n: int) -> dict[str, list[float]]:
    from sqlalchemy import event

    from api.jobs.submission import reserve_quota
    from storage.db import db
    from storage.models.identity import Organisation

    with app.app_context():
        db.session.get(Organisation, organisation_id).plan = plan
        db.session.commit()
        statements = [0]

        def count(*_args: object) -> None:
            statements[0] += 1

        times, cpu = [], []
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            for i in range(n):
                started, started_cpu = time.perf_counter(), time.process_time()
                reserve_quota(
                    organisation_id,
                    f"usr_bench_{i % 50}",
                    "writing_assessment",
                    {"text": "x", "language": "en"},
                )
                times.append((time.perf_counter() - started) * 1e6)
                cpu.append((time.process_time() - started_cpu) * 1e6)
                db.session.commit()
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return {"times": times, "cpu": cpu, "statements": [statements[0] / n]}


def run(n: int = 2000) -> dict[str, dict[str, float]]:
    from api import create_app
    from core.settings import Settings
    from storage import identity, quotas
    from storage.db import db

    quotas.PLANS[PLAN] = dict.fromkeys(LIMITS_SHAPE, 10**12)
    quotas.PLANS[PLAN_LLM] = dict.fromkeys(LLM_SHAPE, 10**12)
    with private_redis() as redis_url:
        prepare_database(redis_url)
        settings = Settings(
            env="test",
            secret_key=SECRET_KEY,
            database_url=DATABASE_URL,
            redis_url=redis_url,
            data_dir=Path(tempfile.mkdtemp()),
            storage_backend="local",
            embedded_services=False,
            log_json=False,
        ).finalised()
        app = create_app(settings, start_services=False)
        with app.app_context():
            admin = identity.register(
                db.session,
                email=f"quota-{time.time_ns()}@bench.test",
                password="correct horse battery",
                name="Bench",
                organisation_name="Bench",
            )
            db.session.commit()
            organisation_id = admin.organisation_id
        results = {}
        for label, plan in (
            ("unlimited (baseline)", "unlimited"),
            ("3 counters", PLAN),
            ("4 counters (free)", PLAN_LLM),
        ):
            _measure(app, organisation_id, plan, 200)  # warm the pool and the plan cache
            measured = _measure(app, organisation_id, plan, n)
            times = measured["times"]
            results[label] = {
                "median_us": statistics.median(times),
                "p95_us": percentile(times, 95),
                "p99_us": percentile(times, 99),
                "cpu_median_us": statistics.median(measured["cpu"]),
                "statements": measured["statements"][0],
            }
        app.extensions["runtime"].stop()
    return results


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    for label, row in run(count).items():
        print(
            f"{label:<22} median {row['median_us']:8.1f} us   p95 {row['p95_us']:8.1f} us"
            f"   p99 {row['p99_us']:8.1f} us   cpu median {row['cpu_median_us']:6.1f} us"
            f"   statements {row['statements']:.2f}"
        )

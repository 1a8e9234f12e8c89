"""Worker entry point: `dramatiq workers.main --queues transcription scoring`.

Importing this module builds the app from the environment, which sets the Redis broker
and declares every actor before Dramatiq looks for them.
"""

from __future__ import annotations

import logging
import os

from core.settings import Settings  # reads the environment; imports no metrics library

settings = Settings.from_env()
if settings.worker_prometheus:
    from dramatiq.middleware.prometheus import DB_PATH

    # Metrics then live in files shared by the worker's processes (Prometheus's multiprocess
    # mode), which Dramatiq's exposition server reads: the platform's job metrics
    # (job_run_seconds, jobs_finished_total) appear there beside Dramatiq's. The directory
    # must be known before anything imports prometheus_client, so it is set here, first.
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", DB_PATH)

from api import create_app  # noqa: E402
from workers import runtime  # noqa: E402

# Dramatiq's CLI has given the root logger a plain-text handler of its own; the platform's
# (JSON, redacting) handler replaces it, or every line would be written twice.
logging.getLogger().handlers.clear()
app = create_app(settings, start_services=False)
if settings.worker_prometheus:
    runtime.init_app(app, settings, with_prometheus=True)
broker = runtime.get().broker

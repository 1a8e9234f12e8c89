"""The aligner in a child process.

PocketSphinx's decoder holds the interpreter lock for a whole decode (about 1.3 s for 23 s
of audio, two passes and a phone loop per clip). In embedded mode the workers share the
API's process, so every request waits as long: a long poll of a batch's progress answers
seconds late. Decoding in a child process (one, since the decoders are not thread-safe
either way) leaves this process waiting on a pipe, which releases the lock. The child is
started on first use, with `spawn` (forking a threaded process is unsafe), and again after
it dies.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import lru_cache
from typing import Any

from pipelines.errors import PipelineError

PARENT_CHECK_SECONDS = 1.0


class ChildAligner:
    """`Aligner`'s methods the measurement uses, run by an aligner in a child process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None

    def known_words(self, tokens: list[str]) -> list[bool]:
        return self._call("known_words", tokens)

    def align(self, pcm: bytes, tokens: list[str], optional: frozenset[int] = frozenset()) -> Any:
        return self._call("align", pcm, tokens, optional)

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    def _call(self, method: str, *args: Any) -> Any:
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    max_workers=1,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_follow_parent,
                    initargs=(os.getpid(),),
                )
            pool = self._pool
        try:
            failed, answer = pool.submit(_run, method, *args).result()
        except BrokenProcessPool as exc:
            with self._lock:
                if self._pool is pool:
                    self._pool = None
            raise PipelineError(
                "pronunciation_unavailable", "The pronunciation aligner's process stopped."
            ) from exc
        if failed:
            raise PipelineError(*answer)
        return answer


def _follow_parent(parent: int) -> None:
    """In the child: end when the parent process is gone. A parent killed without running
    its exit handlers cannot tell its child to stop, and the child, holding both ends of its
    task queue, would wait for work forever."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(0)

    threading.Thread(target=watch, name="follow-parent", daemon=True).start()


def _run(method: str, *args: Any) -> tuple[bool, Any]:
    """In the child: (False, the answer), or (True, (code, message)) for a pipeline error,
    whose keyword-only details would not survive pickling."""
    from pipelines.pronunciation.align import local_aligner

    try:
        return False, getattr(local_aligner(), method)(*args)
    except PipelineError as exc:
        return True, (exc.code, exc.message)


@lru_cache(maxsize=1)
def child_aligner() -> ChildAligner:
    return ChildAligner()

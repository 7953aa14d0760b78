"""Phase lines on stderr with elapsed time; silent when ``quiet``. Every line also goes to the
``routing`` logger at INFO (whether quiet or not), so a library user sees progress through ``logging``."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

LOG = logging.getLogger("routing")


class Progress:
    """Prints ``[  1.23s] phase: detail`` lines and keeps each phase's duration in ``seconds``."""

    def __init__(self, quiet: bool = True, stream: TextIO | None = None) -> None:
        self.quiet = quiet
        self.stream = stream or sys.stderr
        self.start = time.perf_counter()
        self.seconds: dict[str, float] = {}

    def say(self, message: str) -> None:
        elapsed = time.perf_counter() - self.start
        LOG.info("[%7.2fs] %s", elapsed, message, extra={"elapsed_s": round(elapsed, 3)})
        if not self.quiet:
            print(f"[{elapsed:7.2f}s] {message}", file=self.stream, flush=True)

    @contextmanager
    def phase(self, name: str, detail: str = "", announce: bool = True) -> Iterator[dict[str, str]]:
        """Time a phase; the block may set ``info['done']`` to a text shown when it ends.

        ``announce=False`` prints only the closing line (so a phase that fails prints nothing)."""
        if announce:
            self.say(f"{name}: {detail or 'started'}")
        info: dict[str, str] = {}
        t = time.perf_counter()
        yield info
        took = time.perf_counter() - t
        self.seconds[name] = self.seconds.get(name, 0.0) + took
        self.say(f"{name}: {info.get('done', 'done')} ({took:.2f}s)")

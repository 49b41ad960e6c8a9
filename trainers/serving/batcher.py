"""Dynamic batching: lines from every request meet in one queue, and one thread reads them in batches.

The thread takes the first queued line, waits at most `max_wait_s` for up to `max_batch - 1` more and
runs them in one forward pass. A model failure (an Exception) fails that batch's lines only; anything
else escaping the loop ends the thread, fails every waiting line with BatcherStopped and leaves
`failure` set, so the server can report itself unhealthy and exit for the platform to restart it.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass

from trainers.inference.engine import Reading
from trainers.inference.image import Image

LOG = logging.getLogger("thaigen.serve")

ReadBatch = Callable[[Sequence[Image]], list[Reading]]


class BatcherStopped(RuntimeError):
    """The batcher thread is no longer reading lines."""


@dataclass(frozen=True)
class Job:
    """One line waiting to be read, and where its reading goes."""

    image: Image
    result: Future[tuple[Reading, int]]
    """Reading and the size of the batch it was read in."""


class Batcher:
    """A thread that reads queued lines in batches of up to `max_batch`, waiting at most `max_wait_s` to fill one."""

    def __init__(self, read_batch: ReadBatch, max_batch: int, max_wait_s: float) -> None:
        self._read_batch = read_batch
        self._max_batch = max_batch
        self._max_wait_s = max_wait_s
        self._queue: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._stopped = False
        self._closing = False
        self.failure: BaseException | None = None
        """What ended the thread, when it ended without close()."""
        self.batch_sizes: Counter[int] = Counter()
        self._thread = threading.Thread(target=self._loop, name="thaigen-batcher", daemon=True)
        self._thread.start()

    @property
    def failed(self) -> bool:
        """Whether the thread has died: ended by an exception, or without close() asking it to."""
        return self.failure is not None or (not self._thread.is_alive() and not self._closing)

    def submit(self, images: Sequence[Image]) -> list[Future[tuple[Reading, int]]]:
        """Queue lines; each future gives the line's reading and its batch size.

        Raises:
            BatcherStopped: the thread has ended.
        """
        jobs = [Job(image, Future()) for image in images]
        with self._lock:
            if self._stopped:
                raise BatcherStopped(self._stop_reason())
            for job in jobs:
                self._queue.put(job)
        return [job.result for job in jobs]

    def close(self) -> None:
        """Stop after the lines already queued."""
        self._closing = True
        self._queue.put(None)
        self._thread.join()

    def _stop_reason(self) -> str:
        if self.failure is None:
            return "the batcher has stopped"
        return f"the batcher has stopped: {type(self.failure).__name__}: {self.failure}"

    def _collect(self, first: Job) -> tuple[list[Job], bool]:
        """The first job and whatever arrives within max_wait_s, up to max_batch; and whether to stop after."""
        jobs, deadline = [first], time.monotonic() + self._max_wait_s
        while len(jobs) < self._max_batch:
            try:
                job = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if job is None:
                return jobs, True
            jobs.append(job)
        return jobs, False

    def _run(self, jobs: list[Job]) -> None:
        """Read one batch and hand out its readings; a model failure fails only these jobs."""
        try:
            readings = self._read_batch([job.image for job in jobs])
            if len(readings) != len(jobs):
                raise RuntimeError(f"the model gave {len(readings)} readings for {len(jobs)} lines")
        except Exception as exc:
            LOG.exception("batch of %d failed", len(jobs))
            for job in jobs:
                job.result.set_exception(exc)
            return
        except BaseException as exc:
            self.failure = exc
            for job in jobs:
                job.result.set_exception(BatcherStopped(self._stop_reason()))
            raise
        self.batch_sizes[len(jobs)] += 1
        for job, reading in zip(jobs, readings, strict=True):
            job.result.set_result((reading, len(jobs)))

    def _read_queue(self) -> None:
        stop = False
        while not stop:
            first = self._queue.get()
            if first is None:
                return
            jobs, stop = self._collect(first)
            jobs = [job for job in jobs if job.result.set_running_or_notify_cancel()]
            if jobs:
                self._run(jobs)

    def _loop(self) -> None:
        try:
            self._read_queue()
        except BaseException as exc:
            self.failure = exc
            raise
        finally:
            self._fail_waiting()

    def _fail_waiting(self) -> None:
        """Refuse new lines and fail the queued ones: nothing will read them."""
        with self._lock:
            self._stopped = True
        reason = self._stop_reason()
        if self.failure is not None:
            LOG.error("%s; failing the queued lines", reason)
        while True:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                return
            if job is not None and job.result.set_running_or_notify_cancel():
                job.result.set_exception(BatcherStopped(reason))

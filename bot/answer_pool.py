"""Answers computed in worker processes, so retrieval uses every core.

Retrieval is CPU work in Python: in threads of the bot's process it shares one interpreter
lock with python-telegram-bot's own work, so the bot could never use more than one core.
Each worker opens the same store (its index arrays are memory-mapped, so their pages are
shared) and answers whole questions; only the question and the finished `Answer` cross the
process boundary. A reload starts fresh workers on the new knowledge base and lets the old
ones finish their questions and exit: the old knowledge base is then freed with its process,
not by a garbage collection that would stall answers (see `bot.heap`). A crashed worker
breaks the pool: it is replaced, and the question is answered in a thread of this process
instead, so no question is lost.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from bot.heap import collect_out_of_service, freeze_survivors
from bot.workers import run_when_idle, watch_arguments, worker_context
from knowledge.parent_watch import exit_when_parent_dies
from retrieval.knowledge_base import KnowledgeBase

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Edition:
    """Which knowledge base to answer from: where it is, and how many reloads it has seen."""

    db_path: Path
    synonyms_path: Path
    generation: int


# The knowledge base a worker process has open, and its edition.
_opened: tuple[Edition, KnowledgeBase] | None = None


def _knowledge_base(edition: Edition) -> KnowledgeBase:
    """The worker's knowledge base for `edition`, opened on first use.

    A worker serves one edition (a reload starts new workers); should another reach it all
    the same, the old one is freed first.
    """
    global _opened
    if _opened is None or _opened[0] != edition:
        if _opened is not None:
            _opened = None
            collect_out_of_service()
        _opened = (edition, KnowledgeBase.open(edition.db_path, edition.synonyms_path))
    return _opened[1]


def _call(edition: Edition, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """In a worker: `KnowledgeBase.<method>(*args, **kwargs)` on the edition asked for."""
    try:
        return getattr(_knowledge_base(edition), method)(*args, **kwargs)
    finally:
        freeze_survivors()


def _open(edition: Edition) -> int:
    """In a worker: open `edition` now; returns its passage count.

    A reload opens the new store in new workers while the old ones answer; at normal priority
    the opening (~0.25 s of CPU each at 100,000 passages) would take cores from the answers,
    so on Linux it runs in a thread that gets only spare CPU (`bot.workers.run_when_idle`).
    """
    try:
        if not sys.platform.startswith("linux"):  # elsewhere a priority is the whole process's
            return _knowledge_base(edition).passage_count
        with ThreadPoolExecutor(max_workers=1, initializer=run_when_idle) as opener:
            return opener.submit(_knowledge_base, edition).result().passage_count
    finally:
        freeze_survivors()


class AnswerPool:
    """A pool of answering processes; with no workers, answers run in threads of this process."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None

    @property
    def pids(self) -> tuple[int, ...]:
        """The answering processes running now (none before the first question or warm-up)."""
        processes = getattr(self._pool, "_processes", None) or {}  # ProcessPoolExecutor keeps no public list
        return tuple(sorted(processes))

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = self._new_pool()
        return self._pool

    def _new_pool(self) -> ProcessPoolExecutor:
        context = worker_context()
        return ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=context,
            initializer=exit_when_parent_dies,  # a SIGKILLed bot leaves no answering process behind
            initargs=watch_arguments(context),
        )

    async def warm_up(self, edition: Edition) -> None:
        """Start the workers and open `edition` in them, before the first question."""
        if self.workers:
            await self._open_in(self._executor(), edition)

    async def replace(self, edition: Edition) -> None:
        """Answer from `edition` from now on, in new workers that have opened it already.

        The old workers answer meanwhile, finish the questions they have and exit (in a
        thread: this loop goes on).
        """
        if not self.workers:
            return
        fresh: ProcessPoolExecutor | None = self._new_pool()
        if not await self._open_in(fresh, edition):
            fresh = None  # discarded: the next question starts workers, which open the edition then
        old, self._pool = self._pool, fresh
        if old is not None:
            asyncio.get_running_loop().run_in_executor(None, partial(old.shutdown, wait=True))

    async def _open_in(self, pool: ProcessPoolExecutor, edition: Edition) -> bool:
        """Ask each worker of `pool` to open `edition`; False if the pool broke (it is discarded).

        A worker may take two of the requests and another none, which then opens the edition
        on its first question.
        """
        loop = asyncio.get_running_loop()
        try:
            await asyncio.gather(*(loop.run_in_executor(pool, _open, edition) for _ in range(self.workers)))
        except BrokenProcessPool:
            logger.error("An answering process died; starting new ones")
            self._discard(pool)
            return False
        except BaseException:  # the edition does not open (a broken synonyms file): the caller says why
            self._discard(pool)
            raise
        return True

    async def call(self, edition: Edition, local: KnowledgeBase, method: str, *args: Any, **kwargs: Any) -> Any:
        """`method(*args, **kwargs)` of knowledge base `edition`: in a worker, or in a thread on `local`."""
        if self.workers:
            pool = self._executor()
            try:
                return await asyncio.get_running_loop().run_in_executor(pool, _call, edition, method, args, kwargs)
            except BrokenProcessPool:
                logger.error("An answering process died; starting new ones and answering this question here")
                self._discard(pool)
        return await asyncio.to_thread(partial(getattr(local, method), *args, **kwargs))

    def _discard(self, pool: ProcessPoolExecutor) -> None:
        """Drop a broken pool; the next call starts a new one."""
        if self._pool is pool:
            self._pool = None
        pool.shutdown(wait=False)

    def shutdown(self) -> None:
        """Stop the workers (new ones start on the next question); queued questions are dropped.

        Waits for the question each worker is on (milliseconds): an executor left shutting
        down as the interpreter exits can race its exit hook into "Bad file descriptor"
        (CPython issues 83279, 83386).
        """
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

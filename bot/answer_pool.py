"""Answers computed in worker processes, so retrieval uses every core.

Retrieval is CPU work in Python: in threads of the bot's process it shares one interpreter
lock with python-telegram-bot's own work, so the bot could never use more than one core.
Each worker opens the same store (its index arrays are memory-mapped, so their pages are
shared) and answers whole questions; only the question and the finished `Answer` cross the
process boundary. Workers reopen the knowledge base when its generation changes (after a
reload). A crashed worker breaks the pool: it is replaced, and the question is answered in
a thread of this process instead, so no question is lost.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

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
    """The worker's knowledge base for `edition`, opened on first use and after each reload."""
    global _opened
    if _opened is None or _opened[0] != edition:
        _opened = (edition, KnowledgeBase.open(edition.db_path, edition.synonyms_path))
    return _opened[1]


def _call(edition: Edition, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """In a worker: `KnowledgeBase.<method>(*args, **kwargs)` on the edition asked for."""
    return getattr(_knowledge_base(edition), method)(*args, **kwargs)


def _open(edition: Edition) -> int:
    """In a worker: open `edition` now; returns its passage count."""
    return _knowledge_base(edition).passage_count


class AnswerPool:
    """A pool of answering processes; with no workers, answers run in threads of this process."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"))
        return self._pool

    async def warm_up(self, edition: Edition) -> None:
        """Start the workers and open the knowledge base in them, before the first question."""
        loop = asyncio.get_running_loop()
        opening = [loop.run_in_executor(self._executor(), _open, edition) for _ in range(self.workers)]
        await asyncio.gather(*opening)

    async def call(self, edition: Edition, local: KnowledgeBase, method: str, *args: Any, **kwargs: Any) -> Any:
        """`method(*args, **kwargs)` of knowledge base `edition`: in a worker, or in a thread on `local`."""
        if self.workers:
            pool = self._executor()
            try:
                return await asyncio.get_running_loop().run_in_executor(pool, _call, edition, method, args, kwargs)
            except BrokenProcessPool:
                logger.error("An answering process died; starting new ones and answering this question here")
                if self._pool is pool:  # the first question to notice replaces it
                    self._pool = None
                    pool.shutdown(wait=False)
        return await asyncio.to_thread(partial(getattr(local, method), *args, **kwargs))

    def shutdown(self) -> None:
        """Stop the workers (new ones start on the next question); queued questions are dropped.

        Waits for the question each worker is on (milliseconds): an executor left shutting
        down as the interpreter exits can race its exit hook into "Bad file descriptor"
        (CPython issues 83279, 83386).
        """
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

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
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from bot.heap import collect_out_of_service, freeze_survivors
from knowledge.parent_watch import exit_when_parent_dies
from retrieval.knowledge_base import KnowledgeBase

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Edition:
    """Which knowledge base to answer from: where it is, and how many reloads it has seen."""

    db_path: Path
    synonyms_path: Path
    generation: int


# The knowledge bases a worker process has open, oldest first: the one in service and,
# while a reload is being swapped in, the next one.
_opened: dict[Edition, KnowledgeBase] = {}


def _knowledge_base(edition: Edition, keep_older: bool = False) -> KnowledgeBase:
    """The worker's knowledge base for `edition`, opened on first use (from the last one's memos).

    A question for an edition means the older ones are out of service (questions are taken
    in order), so they are closed, unless this is a warm-up before the swap.
    """
    kb = _opened.get(edition)
    if kb is None:
        latest = next(reversed(_opened.values()), None)
        kb = _opened[edition] = (
            latest.reopen(edition.db_path, edition.synonyms_path)
            if latest
            else KnowledgeBase.open(edition.db_path, edition.synonyms_path)
        )
    older = [e for e in _opened if e.generation < edition.generation]
    if older and not keep_older:
        for out_of_service in older:
            del _opened[out_of_service]
        collect_out_of_service()
    return kb


def _call(edition: Edition, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """In a worker: `KnowledgeBase.<method>(*args, **kwargs)` on the edition asked for."""
    try:
        return getattr(_knowledge_base(edition), method)(*args, **kwargs)
    finally:
        freeze_survivors()


def _open(edition: Edition) -> int:
    """In a worker: open `edition` now, beside the one in service; returns its passage count."""
    try:
        return _knowledge_base(edition, keep_older=True).passage_count
    finally:
        freeze_survivors()


class AnswerPool:
    """A pool of answering processes; with no workers, answers run in threads of this process."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=exit_when_parent_dies,  # a SIGKILLed bot leaves no answering process behind
                initargs=(os.getpid(),),
            )
        return self._pool

    async def warm_up(self, edition: Edition) -> None:
        """Start the workers and open `edition` in them, before its first question.

        Each worker is asked once, but a worker may take two of the requests and another
        none; that one opens the edition on its first question instead.
        """
        if not self.workers:
            return
        loop = asyncio.get_running_loop()
        pool = self._executor()
        try:
            await asyncio.gather(*(loop.run_in_executor(pool, _open, edition) for _ in range(self.workers)))
        except BrokenProcessPool:  # the new workers open it on their first question
            logger.error("An answering process died; starting new ones")
            self._discard(pool)

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
        """Drop a broken pool; the next call starts a new one (the first caller to notice does it)."""
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

"""The knowledge base in service, and the one way to replace it while answering.

A reload rebuilds the store in a worker process (so the rebuild's CPU work does not hold
this process's interpreter lock and answers keep flowing), opens the new store in a
thread, then swaps one reference. Questions already being answered finish on the old
knowledge base; a failed rebuild leaves the old one in service untouched.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

from bot.settings import Settings
from knowledge.build import BuildReport
from retrieval.knowledge_base import KnowledgeBase, rebuild

# How much lower the rebuild worker's scheduling priority is than the bot's (see nice(2)).
WORKER_NICENESS = 10


class ReloadBusy(RuntimeError):
    """A reload was asked for while another one runs."""


class LiveKnowledgeBase:
    """Holds the current `KnowledgeBase`; `reload` replaces it atomically."""

    def __init__(self, settings: Settings, current: KnowledgeBase) -> None:
        self.current = current
        self._settings = settings
        self._lock = asyncio.Lock()

    @property
    def reloading(self) -> bool:
        """Whether a reload is running now."""
        return self._lock.locked()

    async def reload(self) -> BuildReport:
        """Rebuild from the documents folder and swap the new knowledge base in.

        Raises `ReloadBusy` if a reload already runs, and the build's own error
        (`BuildError`, `DocumentError`, ...) if it fails; the current one stays in service.
        """
        if self._lock.locked():
            raise ReloadBusy
        async with self._lock:
            settings = self._settings
            report = await _in_worker_process(rebuild, settings.knowledge_dir, settings.db_path)
            self.current = await asyncio.to_thread(KnowledgeBase.open, settings.db_path, settings.synonyms_path)
            return report


def _yield_to_the_bot() -> None:
    """Lower the worker's CPU priority: a reload may take longer, answers must not wait for it."""
    os.nice(WORKER_NICENESS)


async def _in_worker_process(function, *args):
    """Run `function(*args)` in a fresh, lower-priority process ("spawn": safe beside this one's threads)."""
    pool = ProcessPoolExecutor(
        max_workers=1, mp_context=multiprocessing.get_context("spawn"), initializer=_yield_to_the_bot
    )
    try:
        return await asyncio.get_running_loop().run_in_executor(pool, function, *args)
    finally:
        pool.shutdown(wait=False)

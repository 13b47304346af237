"""The knowledge base in service: the one way to ask it, and to replace it while answering.

Questions go to the answering processes of `bot.answer_pool`. A reload rebuilds the store
in a worker process (so the rebuild's CPU work does not hold this process's interpreter
lock and answers keep flowing), opens the new store in a thread and in new answering
processes, then swaps one reference.
Questions already being answered finish on the old knowledge base; a failed rebuild leaves
the old one in service untouched.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ProcessPoolExecutor

from bot.answer_pool import AnswerPool, Edition
from bot.heap import collect_out_of_service
from bot.settings import Settings
from bot.workers import run_when_idle, watch_arguments, worker_context
from knowledge.build import BuildReport
from knowledge.parent_watch import exit_when_parent_dies
from retrieval.answer import Answer, Hit
from retrieval.knowledge_base import KnowledgeBase, rebuild


class ReloadBusy(RuntimeError):
    """A reload was asked for while another one runs."""


class LiveKnowledgeBase:
    """Holds the current `KnowledgeBase`; `reload` replaces it atomically."""

    def __init__(self, settings: Settings, current: KnowledgeBase) -> None:
        self.current = current
        self._settings = settings
        self._lock = asyncio.Lock()
        self._generation = 0  # reloads so far: names the knowledge base a question is for
        self.answers = AnswerPool(settings.answer_workers)

    @property
    def edition(self) -> Edition:
        """The knowledge base in service, as the answering processes find it."""
        return Edition(self.current.store.path, self._settings.synonyms_path, self._generation)

    async def ask(self, question: str, page: int = 0) -> Answer:
        """`KnowledgeBase.ask` on the knowledge base in service, for a chat.

        A chat shows quotes and their citations, never the ranked hits, so none are asked
        for: they were three quarters of an answer's bytes from the answering process.
        """
        return await self.answers.call(self.edition, self.current, "ask", question, top_k=0, page=page)

    async def ask_each(self, question: str, limit: int) -> list[Answer]:
        """`KnowledgeBase.ask_each` on the knowledge base in service."""
        return await self.answers.call(self.edition, self.current, "ask_each", question, limit)

    async def passage_hit(self, passage_id: str) -> Hit | None:
        """The passage with this id in the knowledge base in service (one lookup: no worker needed)."""
        return await asyncio.to_thread(self.current.passage_hit, passage_id)

    async def start(self) -> None:
        """Start the answering processes; with them, this process drops the index and synonyms
        it opened with (searching is theirs) and keeps what looking passages up needs."""
        await self.answers.warm_up(self.edition)
        if self.answers.workers:
            path, synonyms = self.current.store.path, self._settings.synonyms_path
            self.current = await asyncio.to_thread(self.current.reopen, path, synonyms, False)

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
            # With answering processes, this process only looks passages up: searching is theirs,
            # and loading its index here would hold this process's interpreter lock for a while.
            searchable = not self.answers.workers
            fresh = await asyncio.to_thread(self.current.reopen, settings.db_path, settings.synonyms_path, searchable)
            following = Edition(settings.db_path, settings.synonyms_path, self._generation + 1)
            await self.answers.replace(following)  # new answering processes, the new store open in them
            self.current, self._generation = fresh, following.generation
            collect_out_of_service()  # the old one, in this process (~50–70 ms, once per reload)
            return report


def _start_rebuild_worker(bot_process: int, via_server: bool) -> None:
    """Give the rebuild only the CPU the bot leaves (a reload may take longer, answers must not
    wait for it), and end it if the bot dies."""
    exit_when_parent_dies(bot_process, via_server)
    run_when_idle()


async def _in_worker_process(function, *args):
    """Run `function(*args)` in a fresh, lower-priority process (`bot.workers`: safe beside this one's threads)."""
    context = worker_context()
    pool = ProcessPoolExecutor(
        max_workers=1, mp_context=context, initializer=_start_rebuild_worker, initargs=watch_arguments(context)
    )
    try:
        return await asyncio.get_running_loop().run_in_executor(pool, function, *args)
    finally:
        pool.shutdown(wait=False)

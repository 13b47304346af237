"""Answers computed in worker processes, so retrieval uses every core.

Retrieval is CPU work in Python: in threads of the bot's process it shares one interpreter
lock with python-telegram-bot's own work, so the bot could never use more than one core.
Each worker opens the same store (its index arrays are memory-mapped, so their pages are
shared) and answers whole questions; only the question and the finished `Answer` cross the
process boundary, over a socket pair per worker that this process's event loop reads itself.
(`ProcessPoolExecutor` moves every call through a feeder thread, a manager thread and a
wake-up pipe: ~0.4 ms of this process's CPU per answer against ~0.08 ms here, measured side
by side with a trivial call.) A reload starts fresh workers on the new knowledge base and
lets the old ones finish their questions and exit: the old knowledge base is then freed
with its process, not by a garbage collection that would stall answers (see `bot.heap`). A
crashed worker breaks its pool: new workers start, and the questions it held are answered
in a thread of this process instead, so no question is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import pickle
import sys
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from bot.heap import collect_out_of_service, freeze_survivors
from bot.workers import run_when_idle, watch_arguments, worker_context
from knowledge.parent_watch import exit_when_parent_dies
from retrieval.knowledge_base import KnowledgeBase

logger = logging.getLogger(__name__)

# Questions sent to one worker before it has answered: the next one waits in its socket
# while it answers, so it never idles for a round trip.
IN_FLIGHT = 2
# Seconds a stopping worker gets to finish before it is terminated.
STOP_TIMEOUT = 5.0


@dataclass(frozen=True)
class Edition:
    """Which knowledge base to answer from: where it is, and how many reloads it has seen."""

    db_path: Path
    synonyms_path: Path
    generation: int


class WorkerDied(RuntimeError):
    """An answering process ended (killed, crashed) with questions in hand."""


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


def _serve(connection: Connection, bot_process: int, via_server: bool) -> None:
    """An answering process: run each (number, function, args) that comes, send back
    (number, succeeded, result or exception), until the bot closes its end."""
    exit_when_parent_dies(bot_process, via_server)  # a SIGKILLed bot leaves no answering process behind
    while True:
        try:
            number, function, args = pickle.loads(connection.recv_bytes())
        except EOFError:
            return
        try:
            reply = pickle.dumps((number, True, function(*args)), pickle.HIGHEST_PROTOCOL)
        except Exception as error:  # the caller's to handle, as if raised there
            reply = _failure(number, error)
        try:
            connection.send_bytes(reply)
        except OSError:  # the bot stopped listening
            return


def _failure(number: int, error: Exception) -> bytes:
    try:
        return pickle.dumps((number, False, error), pickle.HIGHEST_PROTOCOL)
    except Exception:  # an exception that does not pickle still reaches the caller, as text
        return pickle.dumps((number, False, RuntimeError(f"{type(error).__name__}: {error}")))


@dataclass(eq=False)
class _Worker:
    """One answering process, its end of the socket pair, and the questions it holds."""

    process: BaseProcess
    connection: Connection
    pending: dict[int, asyncio.Future[Any]] = field(default_factory=dict)


class _Processes:
    """A set of answering processes fed by this event loop: each call goes to the worker
    holding the fewest, at most IN_FLIGHT each; the rest wait here in order."""

    def __init__(self, count: int) -> None:
        self._loop = asyncio.get_running_loop()
        context = worker_context()
        bot_process, via_server = watch_arguments(context)
        self._workers: list[_Worker] = []
        self._waiting: deque[tuple[int, bytes, asyncio.Future[Any]]] = deque()
        self._numbers = itertools.count()
        self.broken = False
        self._closing = False
        for _ in range(count):
            ours, theirs = context.Pipe()
            process = context.Process(
                target=_serve, args=(theirs, bot_process, via_server), name="policybot-answering", daemon=True
            )
            process.start()
            theirs.close()  # the worker's alone now: its exit is an end of file here
            worker = _Worker(process, ours)
            self._workers.append(worker)
            self._loop.add_reader(ours.fileno(), self._receive, worker)

    @property
    def pids(self) -> tuple[int, ...]:
        return tuple(sorted(w.process.pid for w in self._workers if w.process.pid is not None))

    def submit(self, function: Callable[..., Any], *args: Any) -> asyncio.Future[Any]:
        """`function(*args)` in a worker; raises `WorkerDied` if the pool is broken."""
        if self.broken or self._closing:
            raise WorkerDied("the answering processes are gone")
        number = next(self._numbers)
        future = self._loop.create_future()
        request = pickle.dumps((number, function, args), pickle.HIGHEST_PROTOCOL)
        worker = min(self._workers, key=lambda w: len(w.pending))
        if len(worker.pending) < IN_FLIGHT:
            self._send(worker, number, request, future)
        else:
            self._waiting.append((number, request, future))
        return future

    def _send(self, worker: _Worker, number: int, request: bytes, future: asyncio.Future[Any]) -> None:
        worker.pending[number] = future
        try:
            worker.connection.send_bytes(request)  # a few kB into a socket holding at most IN_FLIGHT: never blocks
        except OSError:
            self._break(worker)

    def _receive(self, worker: _Worker) -> None:
        """Called by the loop when a worker's socket is readable: settle what it answered."""
        try:
            while worker.connection.poll():
                number, succeeded, result = pickle.loads(worker.connection.recv_bytes())
                future = worker.pending.pop(number)
                if not future.done():
                    (future.set_result if succeeded else future.set_exception)(result)
                if self._waiting:
                    self._send(worker, *self._waiting.popleft())
        except (EOFError, OSError):
            self._break(worker)
            return
        if self._closing and not worker.pending:
            self._retire(worker)

    def _break(self, worker: _Worker) -> None:
        """A worker died: every question of this pool fails over to the caller."""
        if not self.broken:
            logger.error("An answering process died (exit code %s); starting new ones", worker.process.exitcode)
        self.broken = True
        for future in self._take_all():
            if not future.done():
                future.set_exception(WorkerDied("the answering process died"))
        for worker in self._take_workers():
            self._disconnect(worker)

    def drain(self) -> None:
        """Take no more calls; each worker exits once it has answered what it holds."""
        self._closing = True
        for worker in list(self._workers):
            if not worker.pending and not self._waiting:
                self._retire(worker)

    def _retire(self, worker: _Worker) -> None:
        if worker in self._workers and not self._waiting:
            self._workers.remove(worker)
            self._disconnect(worker)

    def _take_all(self) -> list[asyncio.Future[Any]]:
        """Every question this pool holds, in hand or waiting; it holds none after."""
        futures = [f for w in self._workers for f in w.pending.values()] + [f for *_, f in self._waiting]
        for worker in self._workers:
            worker.pending.clear()
        self._waiting.clear()
        return futures

    def _take_workers(self) -> list[_Worker]:
        workers, self._workers = self._workers, []
        return workers

    def _disconnect(self, worker: _Worker) -> None:
        """Close the socket (the worker reads its end of file and exits) and reap the process in a thread."""
        self._hang_up(worker)
        self._loop.run_in_executor(None, _reap, worker.process)

    def _hang_up(self, worker: _Worker) -> None:
        with contextlib.suppress(ValueError, OSError):  # already closed
            self._loop.remove_reader(worker.connection.fileno())
        worker.connection.close()

    def close(self) -> None:
        """Stop now: questions waiting or in hand are cancelled (the bot is stopping)."""
        self._closing = True
        for future in self._take_all():
            future.cancel()
        workers = self._take_workers()
        for worker in workers:
            self._hang_up(worker)
        for worker in workers:  # all hung up first, so they exit side by side
            _reap(worker.process)


def _reap(process: BaseProcess) -> None:
    """Wait for a worker whose socket is closed to exit; end it if it does not."""
    process.join(STOP_TIMEOUT)
    if process.is_alive():
        process.terminate()
        process.join(STOP_TIMEOUT)


class AnswerPool:
    """A pool of answering processes; with no workers, answers run in threads of this process."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool: _Processes | None = None

    @property
    def pids(self) -> tuple[int, ...]:
        """The answering processes running now (none before the first question or warm-up)."""
        return self._pool.pids if self._pool is not None else ()

    def _processes(self) -> _Processes:
        if self._pool is None or self._pool.broken:
            self._pool = _Processes(self.workers)
        return self._pool

    async def warm_up(self, edition: Edition) -> None:
        """Start the workers and open `edition` in them, before the first question."""
        if self.workers:
            await self._open_in(self._processes(), edition)

    async def replace(self, edition: Edition) -> None:
        """Answer from `edition` from now on, in new workers that have opened it already.

        The old workers answer meanwhile, finish the questions they have and exit.
        """
        if not self.workers:
            return
        fresh: _Processes | None = _Processes(self.workers)
        if not await self._open_in(fresh, edition):
            fresh = None  # discarded: the next question starts workers, which open the edition then
        old, self._pool = self._pool, fresh
        if old is not None:
            old.drain()

    async def _open_in(self, pool: _Processes, edition: Edition) -> bool:
        """Ask each worker of `pool` to open `edition`; False if a worker died (the pool is discarded)."""
        try:
            await asyncio.gather(*(pool.submit(_open, edition) for _ in range(self.workers)))
        except WorkerDied:
            pool.drain()
            return False
        except BaseException:  # the edition does not open (a broken synonyms file): the caller says why
            pool.drain()  # its workers exit once done with what they hold; this loop goes on meanwhile
            raise
        return True

    async def call(self, edition: Edition, local: KnowledgeBase, method: str, *args: Any, **kwargs: Any) -> Any:
        """`method(*args, **kwargs)` of knowledge base `edition`: in a worker, or in a thread on `local`."""
        if self.workers:
            try:
                return await self._processes().submit(_call, edition, method, args, kwargs)
            except WorkerDied:
                logger.error("Answering this question in the bot's own process instead")
        return await asyncio.to_thread(partial(getattr(local, method), *args, **kwargs))

    def shutdown(self) -> None:
        """Stop the workers (new ones start on the next question); questions in hand are dropped."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()

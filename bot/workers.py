"""How the bot starts its worker processes: forked from a fork server that has the code imported.

A spawned process imports everything again before it can work: ~0.5 s of CPU for the bot's
modules, paid by every answering process a reload starts, at normal priority, while the
cores are busy answering. A fork server (started once, with the first workers) imports the
bot's code a single time and forks each new worker from itself, so a worker only opens its
knowledge base. The server is a single-threaded process of its own, so forking it is as safe
as spawning; it ends after the bot and its workers have. Where there is no fork server,
workers are spawned.
"""

from __future__ import annotations

import multiprocessing
import os
from multiprocessing.context import BaseContext

# The niceness of work that should only use spare CPU, where the idle scheduling class is
# not available (see nice(2)).
IDLE_NICENESS = 19
# What the fork server imports once for all workers: the program (as spawned workers do) and
# the code the workers run.
PRELOADED = ["__main__", "bot.answer_pool", "bot.live"]


def worker_context() -> BaseContext:
    """The multiprocessing context worker pools use."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOADED)  # read when the server starts, with the first pool
    return context


def watch_arguments(context: BaseContext) -> tuple[int, bool]:
    """The arguments workers of `context` give `exit_when_parent_dies`: this process, and
    whether a fork server stands between them and it."""
    return os.getpid(), context.get_start_method() == "forkserver"


def run_when_idle() -> None:
    """Let the calling thread run only on CPU nothing else wants, for good.

    Linux's SCHED_IDLE class runs it when no other thread wants the core, and any thread that
    wakes up preempts it at once; elsewhere the lowest priority does roughly the same. On Linux
    this is the thread's own setting (other threads of the process keep theirs).
    """
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    except (AttributeError, OSError):
        os.nice(IDLE_NICENESS)

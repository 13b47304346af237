"""End-to-end throughput and latency of the real policybot `Application` against the fake Bot API server.

A synthetic knowledge base (`benchmarks/corpus.py` text in Markdown documents) is built with
`rebuild`, then the bot is started exactly as the `policybot` test fixture starts it
(`build_application(..., rate_limiter=False)`, `initialize`, `post_init`, `start`,
`updater.start_polling` with a 1 s long poll) against `tests.fake_telegram.FakeTelegram` on
127.0.0.1, in this process and event loop. Questions go in as `private_text` updates
(`fake.push_update`); a question's latency runs from its push to the moment the fake receives
the `sendMessage` for that chat (a hook on the fake, before the fake's own checks). Inline
queries are timed the same way, up to their `answerInlineQuery`.

The fake server and the driver run in a process of their own, as Telegram would, and the
bot in this one, so "CPU ms/update" is the bot's own CPU (its event loop, HTTP client and
answering processes, `--answer-workers`), and the two share the machine's cores ("Bot API side
CPU" is the other process's, so the two together show the budget of the machine). Every user has at most one question in
flight, so each answer is matched to its question exactly: a user with a question pending is
skipped and, when all are busy, a new user joins (the pool starts at `--users`; the bot handles
one chat's updates in order, so a second question would wait for the first).

Runs (all bounded in count and time, traffic to 127.0.0.1 only):

- burst: `--questions` questions pushed at once; throughput = answered / (first push to last
  answer).
- rate R: questions pushed at a steady R per second for `--duration` seconds (open loop: a
  push is never held back by a slow answer).
- inline: inline queries at `--inline-rate` per second for `--duration` seconds.
- with `--reload`: `--reload-rate` per second for `--duration` seconds while idle, then while
  `LiveKnowledgeBase.reload()` runs (started just before the window; the window lasts until
  the reload is done, and at least `--duration` seconds).

    python benchmarks/bench_bot.py --passages 100000 [--questions 3000] [--rates 50,100,200] [--reload]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import datetime as dt
import multiprocessing
import os
import platform
import pstats
import resource
import signal
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event as EventType
from pathlib import Path

import numpy as np
import telegram
from corpus import passages_text, queries, vocabulary

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # for tests.fake_telegram; bot, knowledge, retrieval are installed

from bot import texts  # noqa: E402
from bot.app import ALLOWED_UPDATES, CONCURRENT_UPDATES, build_application  # noqa: E402
from bot.settings import Settings, default_answer_workers  # noqa: E402
from retrieval.knowledge_base import KnowledgeBase, rebuild  # noqa: E402
from tests.fake_telegram import FakeTelegram, User, inline_query, private_text  # noqa: E402

MAX_DOCUMENTS = 1_000
PARAGRAPHS_PER_SECTION = 10
MAX_BURST = 5_000
MAX_RATE = 2_000  # per second
MAX_DURATION = 60.0  # seconds of one paced run
MAX_PUSHES = 50_000  # updates pushed by one paced run, whatever its rate and length
RELOAD_TIMEOUT = 900.0  # seconds the during-reload window may last at most
DRAIN_TIMEOUT = 60.0  # seconds to wait at least for the last answers of a run
DRAIN_RATE = 10.0  # ... and longer for a long run: one second per this many updates pushed
WARMUP = 50
POLL_TIMEOUT = dt.timedelta(seconds=1)
STOP_TIMEOUT = 15.0
RUN_TIMEOUT = 900.0  # seconds a burst may take at most, drain included
GOAL_THROUGHPUT = 300  # answered questions per second, burst, 100k passages, 2 cores
GOAL_P95_MS = 20.0  # at moderate load
GOAL_RELOAD_RATIO = 2.0


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def cpu_seconds(pids: tuple[int, ...] = ()) -> float:
    """CPU time so far of this process (all threads) plus processes `pids`, user + system."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime + cpu_seconds_of(pids)


def cpu_seconds_of(pids: tuple[int, ...]) -> float:
    """CPU time so far of the live processes `pids`, user + system."""
    return sum(map(_process_cpu_seconds, pids))


def _process_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a live process, from /proc (Linux); 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- the knowledge base -----------------------------------------------------------------


def write_documents(folder: Path, n: int, seed: int) -> int:
    """`n` corpus passages as paragraphs of up to MAX_DOCUMENTS Markdown documents; returns the document count."""
    words = vocabulary(seed)
    documents = max(1, min(MAX_DOCUMENTS, n))
    bodies: list[list[str]] = [[] for _ in range(documents)]
    for i, text in enumerate(passages_text(n, seed)):
        body = bodies[i % documents]
        if len(body) % (PARAGRAPHS_PER_SECTION + 1) == 0:
            body.append(f"## {words[(i * 7919) % 5000].capitalize()} {words[(i * 104729) % 20000]}")
        body.append(text)
    for d, body in enumerate(bodies):
        title = f"{words[(d * 31) % 2000].capitalize()} {words[(d * 997) % 10000]} {d:04d}"
        text = f"---\ntitle: {title}\n---\n\n" + "\n\n".join(body) + "\n"
        (folder / f"doc-{d:04d}.md").write_text(text, encoding="utf-8")
    return documents


def questions(n: int, seed: int) -> list[str]:
    """`n` questions of 2–4 corpus words, content and common mixes alternating."""
    content = queries("content", (n + 1) // 2, seed)
    common = queries("common", n // 2, seed)
    mixed = [q for pair in zip(content, common, strict=False) for q in pair] + content[len(common) :]
    return [" ".join(words).capitalize() + "?" for words in mixed[:n]]


# --- timing answers ---------------------------------------------------------------------


@dataclass
class Run:
    """One measured run: what was pushed, what came back, and when."""

    name: str
    offered: str  # the rate asked for, "burst" for all at once
    pushed: int = 0
    latencies: list[float] = field(default_factory=list)  # seconds, push to answer
    pushed_at: list[float] = field(default_factory=list)  # perf_counter at the push, per answer
    with_quotes: list[bool] = field(default_factory=list)  # whether the answer quotes, per answer
    failed: int = 0  # "something went wrong" replies
    first_push: float | None = None
    last_push: float | None = None
    last_answer: float | None = None
    cpu: float | None = 0.0  # seconds of the bot's CPU (its process and answering processes); None: not measured
    answering_cpu: float | None = 0.0  # ... of which in the answering processes
    api_cpu: float | None = None  # seconds of the Bot API side's CPU (fake server and driver), not the bot's
    calls_from: int = 0
    rejected: int = 0
    unanswered: int = 0
    note: str = ""

    @property
    def answered(self) -> int:
        return len(self.latencies)

    @property
    def wall(self) -> float:
        if self.first_push is None or self.last_answer is None:
            return 0.0
        return self.last_answer - self.first_push

    def percentiles_ms(self, *ps: float) -> list[float]:
        if not self.latencies:
            return [float("nan")] * len(ps)
        return [float(v) for v in np.percentile(np.array(self.latencies) * 1000, ps)]


class Driver:
    """Pushes updates into the fake and matches each answer to its update."""

    def __init__(self, fake: FakeTelegram, users: int, prompts: list[str]) -> None:
        self.fake = fake
        self.prompts = prompts
        self._next_prompt = 0
        self._free: deque[User] = deque(User(f"Bench{i}", f"bench_user_{i}") for i in range(users))
        self.users = users
        # (kind, chat or query id) -> (push time, run, user)
        self._outstanding: dict[tuple[str, int | str], tuple[float, Run, User]] = {}
        self._drained = asyncio.Event()
        self._drained.set()
        self.stray = 0
        fake.add_hook("sendMessage", self._on_message)
        fake.add_hook("answerInlineQuery", self._on_inline)

    @property
    def outstanding(self) -> int:
        return len(self._outstanding)

    def _prompt(self) -> str:
        prompt = self.prompts[self._next_prompt % len(self.prompts)]
        self._next_prompt += 1
        return prompt

    def _user(self) -> User:
        if self._free:
            return self._free.popleft()
        self.users += 1
        return User(f"Bench{self.users}", f"bench_user_{self.users}")

    def prepare(self, kind: str) -> tuple[dict, User]:
        """An update of `kind` ("message" or "inline") from a user with nothing in flight."""
        user = self._user()
        update = private_text(user, self._prompt()) if kind == "message" else inline_query(user, self._prompt())
        return update, user

    def push(self, run: Run, update: dict, user: User) -> None:
        queued = self.fake.push_update(update)
        now = time.perf_counter()
        key = ("m", user.id) if "message" in queued else ("i", queued["inline_query"]["id"])
        self._outstanding[key] = (now, run, user)
        self._drained.clear()
        run.pushed += 1
        if run.first_push is None:
            run.first_push = now
        run.last_push = now

    def _answered(self, key: tuple[str, int | str], params: dict, quoted: bool) -> None:
        now = time.perf_counter()
        entry = self._outstanding.pop(key, None)
        if entry is None:
            self.stray += 1
            return
        pushed, run, user = entry
        run.latencies.append(now - pushed)
        run.pushed_at.append(pushed)
        run.last_answer = now
        run.with_quotes.append(quoted)
        run.failed += params.get("text") == texts.SOMETHING_WENT_WRONG
        self._free.append(user)
        if not self._outstanding:
            self._drained.set()

    async def _on_message(self, call) -> None:
        chat_id = call.params.get("chat_id")
        if isinstance(chat_id, str) and chat_id.lstrip("-").isdigit():
            chat_id = int(chat_id)
        self._answered(("m", chat_id), call.params, bool(call.params.get("reply_markup")))

    async def _on_inline(self, call) -> None:
        self._answered(("i", str(call.params.get("inline_query_id"))), call.params, bool(call.params.get("results")))

    async def drain(self, run: Run) -> None:
        """Wait (bounded) until every update pushed has its answer; the rest count as unanswered."""
        timeout = max(DRAIN_TIMEOUT, run.pushed / DRAIN_RATE)
        try:
            await asyncio.wait_for(self._drained.wait(), timeout)
        except TimeoutError:
            stale = [key for key, (_, owner, _) in self._outstanding.items() if owner is run]
            for key in stale:
                _, _, user = self._outstanding.pop(key)
                self._free.append(user)
            run.unanswered += len(stale)
            if not self._outstanding:
                self._drained.set()
            log(f"{run.name}: {len(stale)} updates unanswered after {timeout:.0f} s")

    def begin(self, run: Run) -> Run:
        run.calls_from = len(self.fake.calls)
        return run

    def end(self, run: Run) -> Run:
        run.rejected = sum(call.ok is False for call in self.fake.calls[run.calls_from :])
        return run

    async def burst(self, name: str, count: int) -> Run:
        """Push `count` questions at once, then wait for every answer."""
        prepared = [self.prepare("message") for _ in range(count)]
        run = self.begin(Run(name, "burst"))
        for update, user in prepared:
            self.push(run, update, user)
        await self.drain(run)
        return self.end(run)

    async def paced(
        self,
        name: str,
        kind: str,
        rate: float,
        duration: float,
        until: EventType | None = None,
        limit: float = MAX_DURATION,
    ) -> Run:
        """Push at a steady `rate` for `duration` s (and, given `until`, until it is set, within `limit` s)."""
        run = self.begin(Run(name, f"{rate:g}/s"))
        started = time.perf_counter()
        i = 0
        while i < MAX_PUSHES:
            target = started + i / rate
            elapsed = target - started
            if elapsed >= limit or (elapsed >= duration and (until is None or until.is_set())):
                break
            update, user = self.prepare(kind)
            delay = target - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            self.push(run, update, user)
            i += 1
        await self.drain(run)
        return self.end(run)


# --- the bot ----------------------------------------------------------------------------


async def start_bot(settings: Settings, kb: KnowledgeBase):
    """The real Application, started the way the `policybot` test fixture starts it."""
    application = build_application(settings, kb, rate_limiter=False)
    await application.initialize()
    await application.post_init(application)
    await application.start()
    await application.updater.start_polling(timeout=POLL_TIMEOUT, allowed_updates=ALLOWED_UPDATES)
    return application


async def stop_bot(application) -> None:
    """Stop polling, the Application and its HTTP clients, each step bounded."""
    with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
        asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)
    steps = []
    if application.updater is not None and application.updater.running:
        steps.append(application.updater.stop)
    if application.running:
        steps.append(application.stop)
    steps.append(application.shutdown)
    steps.append(lambda: application.post_shutdown(application))
    for step in steps:
        try:
            await asyncio.wait_for(step(), STOP_TIMEOUT)
        except Exception as exc:  # keep stopping the rest
            log(f"stopping the bot: {step.__qualname__} failed: {exc!r}")


# --- the report -------------------------------------------------------------------------


def cell(value: float, spec: str, suffix: str = "") -> str:
    return "–" if value != value else f"{value:{spec}}{suffix}"  # NaN: not measured


def row(run: Run) -> str:
    p50, p95, p99 = run.percentiles_ms(50, 95, 99)
    nan = float("nan")
    worst = max(run.latencies) * 1000 if run.latencies else nan
    cpu = nan if run.cpu is None else run.cpu
    answering = nan if run.answering_cpu is None else run.answering_cpu
    api = nan if run.api_cpu is None else run.api_cpu
    cells = [
        f"{run.name} ({run.note})" if run.note else run.name,
        run.offered,
        f"{run.pushed:,}",
        f"{run.answered:,}",
        cell(sum(run.with_quotes) / run.answered * 100 if run.answered else nan, ".0f", "%"),
        cell(run.answered / run.wall if run.wall > 0 else nan, ",.0f"),
        *(cell(v, ".1f") for v in (p50, p95, p99, worst)),
        cell(cpu / run.answered * 1000 if run.answered else nan, ".2f"),
        cell(answering / run.answered * 1000 if run.answered else nan, ".2f"),
        cell(cpu / run.wall * 100 if run.wall > 0 else nan, ".0f", "%"),
        cell(api / run.answered * 1000 if run.answered else nan, ".2f"),
        str(run.rejected + run.failed + run.unanswered),
    ]
    return "| " + " | ".join(cells) + " |"


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def pushed_between(run: Run, name: str, start: float, end: float) -> Run:
    """The part of `run` pushed within [start, end]: latencies only (its CPU is not apart)."""
    part = Run(name, run.offered, cpu=None, answering_cpu=None)
    for pushed, latency, quoted in zip(run.pushed_at, run.latencies, run.with_quotes, strict=True):
        if start <= pushed <= end:
            part.latencies.append(latency)
            part.pushed_at.append(pushed)
            part.with_quotes.append(quoted)
            part.last_answer = max(part.last_answer or pushed, pushed + latency)
            part.first_push = min(part.first_push or pushed, pushed)
    part.pushed = len(part.latencies)
    return part


def report(header: str, runs: list[Run], reload_runs: tuple[Run, ...] | None, reload_s: float | None) -> None:
    print(header)
    print()
    print(
        "| run | offered | pushed | answered | quoted | answered/s | p50 ms | p95 ms | p99 ms | max ms "
        "| CPU ms/update | of which answering | CPU % of a core | Bot API side CPU ms/update | errors |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for run in runs:
        print(row(run))
    print()
    burst = runs[0]
    throughput = burst.answered / burst.wall if burst.wall > 0 else 0.0
    met = verdict(throughput >= GOAL_THROUGHPUT)
    print(f"- burst throughput: {throughput:,.0f} answered/s (goal ≥ {GOAL_THROUGHPUT}/s: {met})")
    for run in runs[1:]:
        if run.name.startswith("rate") or run.name.startswith("inline"):
            p95 = run.percentiles_ms(95)[0]
            print(f"- {run.name}: p95 {p95:.1f} ms (goal ≤ {GOAL_P95_MS:g} ms: {verdict(p95 <= GOAL_P95_MS)})")
    if reload_runs is not None:
        idle, *others = (r.percentiles_ms(95)[0] for r in reload_runs)
        ratios = [during / idle if idle > 0 else float("nan") for during in others]
        took = f"{reload_s:.1f} s" if reload_s is not None else "did not finish"
        window = f"p95 {others[0]:.1f} ms in the window, ratio {ratios[0]:.2f}×"
        if len(others) > 1:
            window += f"; {others[1]:.1f} ms for questions pushed while it ran, ratio {ratios[1]:.2f}×"
        met = verdict(all(r <= GOAL_RELOAD_RATIO for r in ratios))
        print(
            f"- reload: p95 {idle:.1f} ms idle; during the reload {window} "
            f"(goal ≤ {GOAL_RELOAD_RATIO:g}×: {met}); the reload took {took}"
        )


# --- main -------------------------------------------------------------------------------


def rate_list(value: str) -> list[float]:
    try:
        rates = [float(part) for part in value.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError("comma-separated numbers, e.g. 50,100,200") from None
    if not rates or not all(0 < r <= MAX_RATE for r in rates):
        raise argparse.ArgumentTypeError(f"rates between 0 and {MAX_RATE} per second")
    return rates


# --- the Bot API side, in a process of its own ------------------------------------------


def serve_bot_api(conn: Connection, users: int, prompts: list[str], reload_done: EventType) -> None:
    """The child process: the fake Bot API server and the driver, doing what `conn` asks."""
    asyncio.run(_serve_bot_api(conn, users, prompts, reload_done))


async def _serve_bot_api(conn: Connection, users: int, prompts: list[str], reload_done: EventType) -> None:
    loop = asyncio.get_running_loop()
    async with FakeTelegram(query_max_age=120.0) as fake:
        driver = Driver(fake, users, prompts)
        conn.send((fake.token, fake.base_url, fake.base_file_url))
        while True:
            command, *arguments = await loop.run_in_executor(None, conn.recv)
            if command == "burst":
                conn.send(await driver.burst(*arguments))
            elif command == "paced":
                name, kind, rate, duration, wait_for_reload, limit = arguments
                until = reload_done if wait_for_reload else None
                conn.send(await driver.paced(name, kind, rate, duration, until, limit))
            elif command == "totals":
                conn.send((driver.stray, driver.users))
            else:  # "stop"
                return


class BotApiSide:
    """This process's handle on the child: each run is asked for there and timed for CPU here."""

    def __init__(self, users: int, prompts: list[str]) -> None:
        context = multiprocessing.get_context("spawn")
        self.reload_done = context.Event()
        self._conn, child_conn = context.Pipe()
        self._process = context.Process(
            target=serve_bot_api, args=(child_conn, users, prompts, self.reload_done), daemon=True
        )
        self._process.start()
        # The bot's answering processes now, whose CPU counts as the bot's (set once the bot is up).
        self.answering_pids: Callable[[], tuple[int, ...]] = tuple

    async def _call(self, *command: object, timeout: float) -> object:
        self._conn.send(command)
        loop = asyncio.get_running_loop()
        if not await loop.run_in_executor(None, self._conn.poll, timeout):
            raise TimeoutError(f"the Bot API side did not answer {command[0]!r} within {timeout:.0f} s")
        return self._conn.recv()

    async def address(self) -> tuple[str, str, str]:
        """(token, base url, base file url) of the fake server, once it listens."""
        loop = asyncio.get_running_loop()
        if not await loop.run_in_executor(None, self._conn.poll, STOP_TIMEOUT):
            raise TimeoutError("the fake Bot API server did not start")
        return self._conn.recv()

    async def run(self, *command: object, timeout: float, profile: Path | None = None) -> Run:
        """One run, with this process's CPU (the bot's) measured around it."""
        profiler = cProfile.Profile(time.thread_time) if profile else None  # CPU, not time spent waiting
        pids = self.answering_pids()
        cpu, answering, api = cpu_seconds(pids), cpu_seconds_of(pids), self._api_cpu()
        if profiler:
            profiler.enable()
        run = await self._call(*command, timeout=timeout)
        if profiler:
            profiler.disable()
            profiler.dump_stats(profile)
            log(f"cProfile of the bot's event-loop thread during {command[1]} written to {profile}")
            pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(25)
        run.api_cpu = self._api_cpu() - api
        if self.answering_pids() == pids:
            run.cpu = cpu_seconds(pids) - cpu
            run.answering_cpu = cpu_seconds_of(pids) - answering
        else:  # a reload replaced them: the CPU of those that exited is not in /proc any more
            run.cpu = run.answering_cpu = None
        return run

    def _api_cpu(self) -> float:
        """CPU so far of the Bot API side, whose share of the machine the bot does not get."""
        return cpu_seconds_of((self._process.pid,)) if self._process.pid is not None else 0.0

    async def burst(self, name: str, count: int, profile: Path | None = None) -> Run:
        return await self.run("burst", name, count, timeout=RUN_TIMEOUT, profile=profile)

    async def paced(
        self, name: str, kind: str, rate: float, duration: float, wait_for_reload: bool = False, limit=MAX_DURATION
    ) -> Run:
        return await self.run("paced", name, kind, rate, duration, wait_for_reload, limit, timeout=limit + RUN_TIMEOUT)

    async def totals(self) -> tuple[int, int]:
        """(answers that matched no question, users that took part)."""
        return await self._call("totals", timeout=STOP_TIMEOUT)

    @property
    def pid(self) -> int | None:
        return self._process.pid

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self._conn.send(("stop",))
        self._process.join(STOP_TIMEOUT)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(STOP_TIMEOUT)


async def measure(args, settings: Settings, kb: KnowledgeBase, prompts: list[str]) -> tuple:
    api = BotApiSide(args.users, prompts)
    application = None
    try:
        token, base_url, base_file_url = await api.address()
        settings = Settings(
            knowledge_dir=settings.knowledge_dir,
            db_path=settings.db_path,
            token=token,
            base_url=base_url,
            base_file_url=base_file_url,
            answer_workers=args.answer_workers,
        )
        application = await asyncio.wait_for(start_bot(settings, kb), STOP_TIMEOUT)
        api.answering_pids = lambda: application.bot_data["services"].knowledge.answers.pids
        log(f"bot up; warm-up with {WARMUP} questions and {WARMUP // 5} inline queries")
        await api.burst("warm-up", WARMUP)
        await api.paced("warm-up inline", "inline", 50, WARMUP / 5 / 50)

        runs: list[Run] = []
        log(f"burst: {args.questions} questions at once")
        runs.append(await api.burst("burst", args.questions, args.profile))
        for rate in args.rates:
            log(f"rate {rate:g}/s for {args.duration:g} s")
            runs.append(await api.paced(f"rate {rate:g}/s", "message", rate, args.duration))
        log(f"inline queries at {args.inline_rate:g}/s for {args.duration:g} s")
        runs.append(await api.paced(f"inline {args.inline_rate:g}/s", "inline", args.inline_rate, args.duration))

        reload_runs, reload_s = None, None
        if args.reload:
            rate = args.reload_rate
            log(f"reload: {rate:g}/s for {args.duration:g} s idle")
            idle = await api.paced(f"idle {rate:g}/s", "message", rate, args.duration)
            live = application.bot_data["services"].knowledge
            log(f"reload: {rate:g}/s while LiveKnowledgeBase.reload() runs (at least {args.duration:g} s)")
            reload_started = time.perf_counter()
            finished: list[float] = []
            task = asyncio.ensure_future(live.reload())
            task.add_done_callback(lambda _: (finished.append(time.perf_counter()), api.reload_done.set()))
            try:
                during = await api.paced(
                    f"during reload {rate:g}/s", "message", rate, args.duration, True, RELOAD_TIMEOUT
                )
                if task.done() and task.exception() is not None:
                    during.note = f"reload failed: {task.exception()!r}"
                elif task.done():
                    built = task.result()
                    reload_s = finished[0] - reload_started
                    during.note = f"reload {reload_s:.1f} s, its rebuild {built.seconds:.1f} s"
                else:
                    during.note = "reload unfinished"
            finally:
                if not task.done():
                    task.cancel()
                    await asyncio.gather(task, return_exceptions=True)
            runs += [idle, during]
            reload_runs = (idle, during)
            if reload_s is not None:
                part = pushed_between(during, "… pushed while the reload ran", reload_started, finished[0])
                runs.append(part)
                reload_runs = (idle, during, part)
        stray, users = await api.totals()
        if stray:
            log(f"{stray} answers matched no pushed update")
        processor = application.update_processor
        return runs, reload_runs, reload_s, processor.max_concurrent_updates, users
    finally:
        if application is not None:
            await stop_bot(application)
        api.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=100_000, help="passages in the knowledge base")
    parser.add_argument("--questions", type=int, default=3_000, help=f"questions in the burst (at most {MAX_BURST})")
    parser.add_argument("--rates", type=rate_list, default=[50.0, 100.0, 200.0], help="steady rates, per second")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of each steady-rate run")
    parser.add_argument("--inline-rate", type=float, default=50.0, help="inline queries per second")
    parser.add_argument("--reload", action="store_true", help="also measure latency during a reload")
    parser.add_argument("--reload-rate", type=float, default=50.0, help="questions per second around the reload")
    parser.add_argument("--users", type=int, default=200, help="distinct users to start with")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--answer-workers", type=int, default=default_answer_workers(), help="answering processes (0: threads)"
    )
    parser.add_argument(
        "--profile", type=Path, help="write a cProfile (CPU time) of the bot's event-loop thread during the burst here"
    )
    args = parser.parse_args()
    if args.passages < 1 or not 1 <= args.questions <= MAX_BURST:
        parser.error(f"need at least 1 passage and 1 to {MAX_BURST} questions")
    if not 0 < args.duration <= MAX_DURATION:
        parser.error(f"--duration must be within (0, {MAX_DURATION:g}] seconds")
    for name in ("inline_rate", "reload_rate"):
        if not 0 < getattr(args, name) <= MAX_RATE:
            parser.error(f"--{name.replace('_', '-')} must be within (0, {MAX_RATE}] per second")
    if args.users < 1:
        parser.error("--users must be at least 1")

    load = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="policybot-bench-") as tmp:
        folder, db = Path(tmp) / "documents", Path(tmp) / "kb.db"
        folder.mkdir()
        started = time.perf_counter()
        documents = write_documents(folder, args.passages, args.seed)
        log(f"wrote {documents:,} documents with {args.passages:,} paragraphs in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        built = rebuild(folder, db)
        rebuild_s = time.perf_counter() - started
        log(f"rebuild: {built.documents:,} documents, {built.passages:,} passages in {rebuild_s:.1f} s")
        settings = Settings(knowledge_dir=folder, db_path=db)
        started = time.perf_counter()
        kb = KnowledgeBase.open(db, settings.synonyms_path)
        open_s = time.perf_counter() - started
        prompts = questions(max(args.questions, 2_000), args.seed)

        runs, reload_runs, reload_s, concurrent, users = asyncio.run(measure(args, settings, kb, prompts))

    header = (
        f"passages: {built.passages:,} in {built.documents:,} documents (rebuild {rebuild_s:.1f} s, open "
        f"{open_s:.1f} s) · burst: {args.questions:,} questions · steady runs: {args.duration:g} s each · "
        f"users: {args.users} to start, {users} in all · machine: {os.cpu_count()} CPUs, {platform.platform()}, "
        f"Python {platform.python_version()} · python-telegram-bot {telegram.__version__} · "
        f"concurrent updates: {concurrent} (CONCURRENT_UPDATES {CONCURRENT_UPDATES}), answering processes: "
        f"{args.answer_workers}, rate limiter off, "
        f"long poll {POLL_TIMEOUT.total_seconds():g} s · load average before: {load[0]:.2f}"
    )
    report(header, runs, reload_runs, reload_s)


if __name__ == "__main__":
    main()

"""The real bot under load, with its real rate limiting on, against the fake's flood police.

Burst: 2,000 questions from 200 users in private chats and 10 groups (``/ask``), all pending
before the bot polls: every one answered exactly once, in order within its chat, nothing logged
at ERROR, no flood limit broken. The overall pace (``bot.delivery.OVERALL_RATE``) sets the wall
time; groups get few enough questions (10 each) to fit their burst and not set it.

Soak: questions at a steady ``SOAK_RATE`` per second; the process's RSS and open file descriptors
at the end must not exceed an early warm sample by more than the tolerances below. The default
suite runs it for ``SHORT_SOAK_SECONDS``; ``pytest -m soak`` runs it for
``POLICYBOT_SOAK_SECONDS`` (default 600)::

    POLICYBOT_SOAK_SECONDS=600 pytest -m soak -s tests/test_bot_load.py

Run with ``-s`` to see the figures. RSS and descriptors are the test process's: the bot, the fake
server and this driver together, so they bound the bot's own.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import os
import resource
import time
from collections import Counter
from dataclasses import dataclass

import pytest

from bot.app import CONNECTION_POOL
from bot.render.html import answer_html
from tests.bot_helpers import BOT_USERNAME, running_policybot
from tests.fake_telegram import Chat, User, group_text, inline_query, private_text

USERS = 200
GROUPS = 10
GROUP_QUESTIONS = 10  # per group: within the bot's group burst, so groups do not set the pace
PRIVATE_QUESTIONS = 2_000 - GROUPS * GROUP_QUESTIONS
BURST_DEADLINE = 150.0  # seconds; 2,000 answers at 25/s take 80

SOAK_RATE = 10  # questions per second
SOAK_USERS = 50  # each asks every 5 s, well under one message per second per chat
SHORT_SOAK_SECONDS = 25.0
# RSS may grow this much after the warm sample: pymalloc keeps freed arenas, and the bot's
# cache of questions behind "More" buttons (10,000 at most) fills during the run.
RSS_TOLERANCE_KB = 4 * 1024
# Open descriptors may differ by the connections that come and go: the bot's HTTP pool plus the
# server's end of each, and the long poll's pair.
FD_TOLERANCE = 2 * (CONNECTION_POOL + 1)

QUESTIONS = (
    "Why shouldn't the sanctions on Russia be lifted yet?",
    "What are the three principles of a right détente?",
    "What is the Minsk II agreement about?",
    "How should Trump coordinate with NATO allies?",
    "obama reset",
    "european reassurance initiative",
    "what does the president risk by cozying up to the russian leader",
    "crimea annexation",
    "nuclear arms control",
    "what's one of trump's biggest foreign policy challenges?",
)


def status_kb(field: str) -> int:
    """A ``/proc/self/status`` figure in kB (VmRSS: now; VmHWM: the peak so far)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    raise LookupError(field)


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.fixture(scope="module")
def expected(kb) -> dict[str, str]:
    """The reply text each question gets; all different, so a chat's replies show their order."""
    texts = {question: answer_html(kb.ask(question)) for question in QUESTIONS}
    assert len(set(texts.values())) == len(QUESTIONS)
    return texts


def accepted_sends(fake) -> dict[int, list[str]]:
    """Each chat's accepted sendMessage texts, in the order the fake received them."""
    by_chat: dict[int, list[str]] = {}
    for call in fake.calls:
        if call.method == "sendMessage" and call.ok:
            by_chat.setdefault(call.params["chat_id"], []).append(call.params["text"])
    return by_chat


async def test_a_burst_of_2000_questions_is_answered_once_each_in_order(fake, bot_settings, expected, error_log):
    users = [User(f"Load{n}", f"load_user_{n}") for n in range(USERS)]
    groups = [Chat.supergroup(f"Load group {n}") for n in range(GROUPS)]
    group_turns = itertools.cycle(groups)
    asked: dict[int, list[str]] = {}
    private = itertools.islice(itertools.cycle(users), PRIVATE_QUESTIONS)  # round robin, as people ask
    for n, user in enumerate(private):
        question = QUESTIONS[(n // USERS + user.id) % len(QUESTIONS)]
        fake.push_update(private_text(user, question))
        asked.setdefault(user.id, []).append(question)
        if n % (PRIVATE_QUESTIONS // (GROUPS * GROUP_QUESTIONS)) == 0:  # group questions spread through
            group = next(group_turns)
            fake.push_update(group_text(group, user, f"/ask@{BOT_USERNAME} {question}"))
            asked.setdefault(group.id, []).append(question)
    total = sum(len(questions) for questions in asked.values())
    assert total == 2_000 and len(fake.pending_updates) == total

    hwm_before = status_kb("VmHWM")
    started = time.monotonic()
    async with running_policybot(bot_settings):
        await fake.wait_for_call("sendMessage", count=total, predicate=lambda call: call.ok, timeout=BURST_DEADLINE)
        wall = time.monotonic() - started
    hwm_after, max_rss_kb = status_kb("VmHWM"), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    replies = accepted_sends(fake)
    lost = sum(max(0, len(asked[chat]) - len(replies.get(chat, []))) for chat in asked)
    duplicates = sum(max(0, len(replies[chat]) - len(asked.get(chat, []))) for chat in replies)
    print(
        f"\nburst: {total} questions ({PRIVATE_QUESTIONS} private from {USERS} users, "
        f"{total - PRIVATE_QUESTIONS} in {GROUPS} groups): answered {sum(map(len, replies.values()))}, "
        f"lost {lost}, duplicates {duplicates}, wall {wall:.1f} s ({total / wall:.1f}/s), "
        f"flood violations {len(fake.flood_violations)}, peak RSS (VmHWM) {hwm_before / 1024:.0f} MiB before, "
        f"{hwm_after / 1024:.0f} MiB after (ru_maxrss {max_rss_kb / 1024:.0f} MiB)"
    )
    assert (lost, duplicates) == (0, 0)
    assert {chat: replies[chat] for chat in asked} == {
        chat: [expected[q] for q in questions] for chat, questions in asked.items()
    }
    assert fake.flood_violations == []
    assert error_log.messages() == []


@dataclass
class Sample:
    at: float
    rss_kb: int
    fds: int


@dataclass
class SoakResult:
    pushed: Counter
    answered: Counter
    warm: Sample
    end: Sample
    violations: int


async def soak(fake, seconds: float) -> SoakResult:
    """Push SOAK_RATE questions a second for ``seconds`` (one in five inline), tallying and forgetting
    the fake's records every few seconds so that only the bot's memory could grow."""
    users = [User(f"Soak{n}", f"soak_user_{n}") for n in range(SOAK_USERS)]
    pushed, answered = Counter(), Counter()
    violations = 0

    def tally() -> None:
        nonlocal violations
        answered.update(
            call.method for call in fake.calls if call.ok and call.method in ("sendMessage", "answerInlineQuery")
        )
        violations += len(fake.flood_violations)
        fake.forget_history()

    loop = asyncio.get_running_loop()
    start = loop.time()
    warm_at = start + min(60.0, seconds / 5)
    warm = None
    for n in itertools.count():
        due = start + n / SOAK_RATE
        if due >= start + seconds:
            break
        await asyncio.sleep(due - loop.time())  # pacing the load, not waiting for the bot
        user = users[n % SOAK_USERS]
        question = QUESTIONS[n % len(QUESTIONS)]
        if n % 5 == 4:
            fake.push_update(inline_query(user, question))
            pushed["answerInlineQuery"] += 1
        else:
            fake.push_update(private_text(user, question))
            pushed["sendMessage"] += 1
        if n % (5 * SOAK_RATE) == 0:
            tally()
        if warm is None and loop.time() >= warm_at:
            gc.collect()
            warm = Sample(loop.time() - start, status_kb("VmRSS"), open_fds())
    for method in ("sendMessage", "answerInlineQuery"):
        remaining = pushed[method] - answered[method]
        await fake.wait_for_call(method, count=remaining, predicate=lambda call: call.ok, timeout=30)
    tally()
    gc.collect()
    end = Sample(loop.time() - start, status_kb("VmRSS"), open_fds())
    assert warm is not None
    return SoakResult(pushed, answered, warm, end, violations)


async def run_soak(fake, bot_settings, error_log, seconds: float) -> None:
    async with running_policybot(bot_settings):
        result = await soak(fake, seconds)
    print(
        f"\nsoak {seconds:.0f} s at {SOAK_RATE}/s: pushed {dict(result.pushed)}, answered {dict(result.answered)}, "
        f"RSS {result.warm.rss_kb / 1024:.1f} MiB at {result.warm.at:.0f} s -> {result.end.rss_kb / 1024:.1f} MiB "
        f"at {result.end.at:.0f} s, fds {result.warm.fds} -> {result.end.fds}, flood violations {result.violations}"
    )
    assert result.answered == result.pushed  # every question answered once (a duplicate would exceed it)
    assert result.end.rss_kb - result.warm.rss_kb <= RSS_TOLERANCE_KB
    assert result.end.fds - result.warm.fds <= FD_TOLERANCE
    assert result.violations == 0
    assert error_log.messages() == []


async def test_a_short_soak_keeps_memory_and_descriptors_flat(fake, bot_settings, error_log):
    await run_soak(fake, bot_settings, error_log, SHORT_SOAK_SECONDS)


@pytest.mark.soak
async def test_a_long_soak_keeps_memory_and_descriptors_flat(fake, bot_settings, error_log):
    await run_soak(fake, bot_settings, error_log, float(os.environ.get("POLICYBOT_SOAK_SECONDS", "600")))


async def test_questions_asked_in_a_row_are_answered_in_order(fake, policybot, expected):
    dora = User("Dora", "dora")
    asked = QUESTIONS[:5]  # answered 1 s apart, the chat's pace
    for question in asked:
        fake.push_update(private_text(dora, question))

    await fake.wait_for_call("sendMessage", count=len(asked), predicate=lambda call: call.ok, timeout=20)

    assert accepted_sends(fake)[dora.id] == [expected[q] for q in asked]
    assert fake.flood_violations == []

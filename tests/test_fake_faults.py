"""The fake server's injected faults and flood policing, seen by a plain python-telegram-bot ``Bot``."""

import pytest
from telegram import Bot
from telegram.error import NetworkError, TimedOut
from telegram.request import HTTPXRequest

from tests.fake_telegram import Chat, FakeTelegram, Fault, User
from tests.fake_telegram.limits import CHAT_LIMIT, GROUP_LIMIT, OVERALL_LIMIT, FloodPolice

ALICE = User("Alice", "alice_smith")
GROUP = Chat.supergroup("Policy nerds")
QUICK_TIMEOUT = 0.5  # seconds; the client gives up on a slow answer after this


@pytest.fixture
async def fake():
    async with FakeTelegram() as server:
        server.register_chat(GROUP)
        server.register_chat(Chat.private(ALICE))
        yield server


@pytest.fixture
async def bot(fake):
    request = HTTPXRequest(read_timeout=QUICK_TIMEOUT)
    async with Bot(fake.token, base_url=fake.base_url, request=request) as client:
        yield client


async def test_a_dropped_connection_is_not_applied_and_the_next_call_works(fake, bot):
    fake.inject("sendMessage", Fault.dropped())

    with pytest.raises(NetworkError, match="RemoteProtocolError"):
        await bot.send_message(GROUP.id, "lost")
    assert fake.sent == []
    [dropped] = [call for call in fake.calls if call.method == "sendMessage"]
    assert (dropped.fault, dropped.status) == ("dropped", None)

    assert (await bot.send_message(GROUP.id, "again")).text == "again"


async def test_a_slow_answer_times_the_client_out_but_the_message_was_delivered(fake, bot):
    fake.inject("sendMessage", Fault.slow(QUICK_TIMEOUT * 4))

    with pytest.raises(TimedOut):
        await bot.send_message(GROUP.id, "late")
    assert [message["text"] for message in fake.sent] == ["late"]  # applied: a resend would duplicate it
    assert fake.calls[-1].fault == "slow"


@pytest.mark.parametrize(
    ("fault", "message"), [(Fault.error(500), "Internal Server Error"), (Fault.error(502), "Bad Gateway")]
)
async def test_server_errors_are_not_applied(fake, bot, fault, message):
    fake.inject("answerInlineQuery", fault, times=2)

    for _ in range(2):
        with pytest.raises(NetworkError, match=message):
            await bot.answer_inline_query("1", [])
    assert fake.inline_answers == []
    assert [call.fault for call in fake.calls if call.method == "answerInlineQuery"] == [fault.name, fault.name]


def test_flood_police_reads_each_limit_as_a_sliding_window():
    police = FloodPolice()

    police.message(ALICE.id, "private", 0.0)
    police.message(ALICE.id, "private", CHAT_LIMIT.window)  # exactly a window later: allowed
    police.message(ALICE.id, "private", CHAT_LIMIT.window + 0.5)
    assert [(v.rule, v.at) for v in police.violations] == [(CHAT_LIMIT, CHAT_LIMIT.window + 0.5)]


def test_flood_police_counts_group_messages_per_minute():
    police = FloodPolice()

    for n in range(GROUP_LIMIT.limit + 1):  # 1.5 s apart: never over the per-chat limit
        police.message(GROUP.id, "supergroup", 1.5 * n)
    police.message(GROUP.id, "supergroup", GROUP_LIMIT.window + 1.5 * 2)  # the window has slid past two
    assert [(v.rule.scope, v.at) for v in police.violations] == [("group", 1.5 * GROUP_LIMIT.limit)]


def test_flood_police_counts_all_chats_for_the_overall_limit():
    police = FloodPolice()

    for n in range(OVERALL_LIMIT.limit + 1):
        police.message(1000 + n, "private", n / 100)
    assert [(v.rule.scope, v.chat_id) for v in police.violations] == [("overall", 1000 + OVERALL_LIMIT.limit)]


async def test_sent_messages_are_policed(fake, bot):
    await bot.send_message(ALICE.id, "one")
    await bot.send_message(ALICE.id, "two")  # well within a second of the first

    [violation] = fake.flood_violations
    assert (violation.rule.scope, violation.chat_id) == ("chat", ALICE.id)

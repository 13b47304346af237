"""Each fault kind on sendMessage, answerInlineQuery and getUpdates: the bot keeps running and
answers every question exactly once (see ``tests/fake_telegram/faults.py`` for what each fault
means, and ``bot/delivery.py`` for what the bot retries)."""

import pytest

from bot.delivery import RETRY_DELAYS
from bot.render.html import answer_html
from tests.bot_helpers import POLL_TIMEOUT, WAIT, in_chat, running_policybot
from tests.fake_telegram import Fault, User, inline_query, private_text

# PTB's default read timeout, which the bot keeps; getUpdates waits the long poll on top.
READ_TIMEOUT = 5.0
RETRY_AFTER = 2
QUESTIONS = ("What is the Minsk II agreement?", "european reassurance initiative")

FAULTS = {
    "429": Fault.flood(RETRY_AFTER),
    "500": Fault.error(500),
    "502": Fault.error(502),
    "dropped": Fault.dropped(),
    "slow": Fault.slow(READ_TIMEOUT + POLL_TIMEOUT + 1.5),
}
# A fault's call never reached the bot, or (slow) took effect while the bot gave up on it.
REFUSED = {"429", "500", "502", "dropped"}


def expected_text(kb, question: str) -> str:
    return answer_html(kb.ask(question))


def sends_to(fake, chat_id: int):
    return [call for call in fake.calls if call.method == "sendMessage" and call.params.get("chat_id") == chat_id]


@pytest.mark.parametrize("kind", FAULTS)
async def test_send_message_fault(fake, policybot, kb, error_log, kind):
    alice = User("Alice", "alice")
    fake.inject("sendMessage", FAULTS[kind])
    for question in QUESTIONS:
        fake.push_update(private_text(alice, question))

    # The chat's updates are handled in order: the second answer means the first is settled.
    await fake.wait_for_call("sendMessage", count=2, predicate=in_chat(alice.id), timeout=2 * WAIT)

    delivered = [message["text"] for message in fake.sent if message["chat"]["id"] == alice.id]
    assert len(delivered) == len(QUESTIONS)  # none lost, none twice
    attempts = sends_to(fake, alice.id)
    assert [call.params["text"] for call in attempts if call.ok] == [expected_text(kb, q) for q in QUESTIONS]
    assert attempts[0].fault == kind
    if kind in REFUSED:
        first, retry = attempts[0], attempts[1]
        assert len(attempts) == 3  # one failed attempt, then each answer once: no hammering
        wait = RETRY_AFTER if kind == "429" else RETRY_DELAYS[0]
        assert retry.at - first.at >= wait
    else:
        assert len(attempts) == 2  # timed out but delivered: not sent again
        await error_log.wait_for(f"Could not deliver the reply in chat {alice.id}")
    assert policybot.updater.running


@pytest.mark.parametrize("kind", FAULTS)
async def test_answer_inline_query_fault(fake, policybot, error_log, kind):
    bob = User("Bob", "bob")
    fake.inject("answerInlineQuery", FAULTS[kind])
    ids = [fake.push_update(inline_query(bob, question))["inline_query"]["id"] for question in QUESTIONS]

    await fake.wait_for_call("answerInlineQuery", count=2, predicate=lambda call: call.ok, timeout=2 * WAIT)
    if kind == "slow":
        await error_log.wait_for(f"Could not deliver the reply for user {bob.id}", timeout=2 * WAIT)

    assert sorted(answer["inline_query_id"] for answer in fake.inline_answers) == sorted(ids)
    attempts = [call for call in fake.calls if call.method == "answerInlineQuery"]
    struck = [call for call in attempts if call.fault]
    assert [call.fault for call in struck] == [kind]
    if kind in REFUSED:
        [retry] = [c for c in attempts if c.params["inline_query_id"] == struck[0].params["inline_query_id"] and c.ok]
        assert len(attempts) == 3
        assert retry.at - struck[0].at >= (RETRY_AFTER if kind == "429" else RETRY_DELAYS[0])
    else:
        assert len(attempts) == 2  # the slow answer took effect and was not sent again
    assert policybot.updater.running


@pytest.mark.parametrize("kind", FAULTS)
async def test_get_updates_fault(fake, bot_settings, kb, kind):
    users = [User(f"Poller{n}", f"poller_{n}") for n in range(3)]
    for user in users:
        fake.push_update(private_text(user, QUESTIONS[0]))
    fake.inject("getUpdates", FAULTS[kind])  # the first poll meets pending updates

    async with running_policybot(bot_settings) as application:
        for user in users:
            await fake.wait_for_call("sendMessage", predicate=in_chat(user.id), timeout=3 * WAIT)
        later = User("Later", "later_user")
        fake.push_update(private_text(later, QUESTIONS[1]))
        await fake.wait_for_call("sendMessage", predicate=in_chat(later.id), timeout=WAIT)
        assert application.updater.running

    for user, question in [*((user, QUESTIONS[0]) for user in users), (later, QUESTIONS[1])]:
        assert [call.params["text"] for call in sends_to(fake, user.id)] == [expected_text(kb, question)]
    polls = [call for call in fake.calls if call.method == "getUpdates"]
    assert polls[0].fault == kind
    if kind == "429":
        assert polls[1].at - polls[0].at >= RETRY_AFTER


async def test_a_reply_that_cannot_be_sent_is_logged_naming_the_chat(fake, policybot, kb, error_log):
    carol = User("Carol", "carol")
    fake.inject("sendMessage", Fault.error(500), times=len(RETRY_DELAYS) + 1)  # every attempt fails
    fake.push_update(private_text(carol, QUESTIONS[0]))
    fake.push_update(private_text(carol, QUESTIONS[1]))

    [answer] = await fake.wait_for_call("sendMessage", predicate=in_chat(carol.id), timeout=2 * WAIT)

    assert answer.params["text"] == expected_text(kb, QUESTIONS[1])  # the bot went on to the next question
    assert len(sends_to(fake, carol.id)) == len(RETRY_DELAYS) + 2  # bounded: 4 attempts, then the next answer
    record = await error_log.wait_for(f"Could not deliver the reply in chat {carol.id}")
    assert "Internal Server Error" in record.getMessage()

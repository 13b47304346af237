"""Hostile questions end to end: the real bot, the fake Telegram server, fewer examples than the renderer's.

Each question reaches the bot as Telegram's JSON (a lone surrogate as "\\ud800"), in a private
chat, after /ask in a group and as an inline query. Every one gets a reply (or results) that the
fake server accepts, and nothing reaches the error handler.
"""

import time

from hypothesis import HealthCheck, given, settings

from tests.bot_helpers import WAIT, errors_logged, reply_to
from tests.fake_telegram import Chat, User, group_text, inline_query, private_text, text_entities
from tests.hostile_text import inline_queries, messages

# Examples per property: each is a round trip through PTB and HTTP on loopback.
EXAMPLES = 30
# One bot serves every example of a test, so the function-scoped fixtures are shared on purpose.
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def start_example(caplog) -> float:
    """Forget earlier examples' logs (so a failure is pinned on its own example); the time it starts."""
    caplog.clear()
    return time.time()


def assert_clean(fake, caplog, since: float) -> None:
    """Since `since`, Telegram accepted everything the bot sent, and no update reached the error handler."""
    assert [call for call in fake.rejections if call.at >= since] == []
    assert errors_logged(caplog) == []


def is_command(text: str) -> bool:
    """Whether Telegram marks `text` as a command (then a private chat ignores unknown ones)."""
    entities = text_entities(text)
    return bool(entities) and entities[0]["type"] == "bot_command" and entities[0]["offset"] == 0


@SETTINGS
@given(question=messages)
async def test_any_private_message_gets_one_accepted_reply(fake, policybot, caplog, question):
    started = start_example(caplog)
    if is_command(question):
        question = "q " + question
    reply = await reply_to(fake, private_text(User("Hostile"), question))
    assert reply["text"].strip()
    assert_clean(fake, caplog, started)


@SETTINGS
@given(question=messages)
async def test_any_ask_in_a_group_gets_one_accepted_reply(fake, policybot, caplog, question):
    started = start_example(caplog)
    group = Chat.supergroup()  # a fresh one each time: the rate limiter allows 20 messages a minute per group
    reply = await reply_to(fake, group_text(group, User("Hostile"), "/ask " + question))
    assert reply["reply_to_message"]["text"].startswith("/ask")
    assert_clean(fake, caplog, started)


@SETTINGS
@given(query=inline_queries)
async def test_any_inline_query_gets_an_accepted_answer(fake, policybot, caplog, query):
    started = start_example(caplog)
    query_id = fake.push_update(inline_query(User("Hostile"), query))["inline_query"]["id"]
    [call] = await fake.wait_for_call(
        "answerInlineQuery", predicate=lambda c: c.params.get("inline_query_id") == query_id, timeout=WAIT
    )
    assert call.ok
    assert_clean(fake, caplog, started)

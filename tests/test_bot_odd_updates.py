"""Odd updates end to end: media, empty and broken messages, other bots, unknown kinds, forged buttons.

Each gets the reply the design gives it, or silence, and none reaches the error handler. In a
private chat a photo's caption is a question and anything else without text gets one line
saying that only text is read; groups and channels stay silent unless addressed in text.
"""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from telegram import Update

from bot import texts
from tests.bot_helpers import (
    BOT_USERNAME,
    ask_privately,
    assert_silent_in,
    entity_texts,
    errors_logged,
    press,
    reply_to,
    settle,
)
from tests.fake_telegram import (
    MEDIA_KINDS,
    OLD_POLL,
    Chat,
    User,
    channel_message,
    forwarded_from,
    group_message,
    group_text,
    media_content,
    private_message,
    private_text,
    without,
)

QUESTION = "What is the Minsk II agreement?"
ANSWERED = "Minsk II agreement"  # in the quote that answers QUESTION
OTHER_BOT = User("Helper", "helper_bot", is_bot=True)


@pytest.fixture
def user():
    return User("Odd", "odd_user")


def assert_no_errors(fake, caplog) -> None:
    assert fake.rejections == []
    assert errors_logged(caplog) == []


# --- private chats: a reply to everything a person sends --------------------------------------


@pytest.mark.parametrize("kind", MEDIA_KINDS)
async def test_a_private_message_without_text_says_only_text_is_read(fake, policybot, caplog, user, kind):
    reply = await reply_to(fake, private_message(user, media_content(kind)))
    assert reply["text"] == texts.TEXT_ONLY
    assert_no_errors(fake, caplog)


@pytest.mark.parametrize("text", ["/frobnicate", "/Help_me please", f"/nonsense@{BOT_USERNAME}"])
async def test_an_unknown_command_in_a_private_chat_says_so(fake, policybot, caplog, user, text):
    reply = await ask_privately(fake, user, text)
    assert reply["text"] == texts.UNKNOWN_COMMAND
    assert_no_errors(fake, caplog)


async def test_a_private_photo_caption_is_answered_as_a_question(fake, policybot, caplog, user):
    reply = await reply_to(fake, private_message(user, media_content("photo", caption=QUESTION)))
    assert any(ANSWERED in quote for quote in entity_texts(reply, "blockquote"))
    assert_no_errors(fake, caplog)


@pytest.mark.parametrize("text", ["   ", "\n\t", "\u200b\u200d\u2060", "\u202e\u200f", "🙂", "\ud800"])
async def test_a_private_message_with_nothing_to_search_says_so(fake, policybot, caplog, user, text):
    reply = await ask_privately(fake, user, text)
    assert reply["text"].startswith(texts.NOTHING_TO_SEARCH)
    assert_no_errors(fake, caplog)


BROKEN = {
    "empty text": lambda user: private_text(user, ""),
    "no text": lambda user: without(private_text(user, QUESTION), "text", "entities"),
    "a future kind of content": lambda user: private_message(user, {"hologram": {"id": "h1"}}),
}


@pytest.mark.parametrize("broken", BROKEN.values(), ids=BROKEN.keys())
async def test_a_private_message_without_text_of_any_kind_says_only_text_is_read(fake, policybot, caplog, user, broken):
    reply = await reply_to(fake, broken(user))
    assert reply["text"] == texts.TEXT_ONLY
    assert_no_errors(fake, caplog)


async def test_a_private_message_without_from_is_answered(fake, policybot, caplog, user):
    reply = await reply_to(fake, without(private_text(user, QUESTION), "from"))
    assert ANSWERED in reply["text"]
    assert_no_errors(fake, caplog)


async def test_a_forwarded_message_is_answered_as_a_question(fake, policybot, caplog, user):
    reply = await reply_to(fake, private_text(user, QUESTION, forward_origin=forwarded_from(User("Orig"))))
    assert ANSWERED in reply["text"]
    assert_no_errors(fake, caplog)


# --- groups and channels: silence unless addressed in text -------------------------------------


GROUP_MEDIA = [(kind, None) for kind in MEDIA_KINDS] + [
    ("photo", caption) for caption in (QUESTION, f"/ask {QUESTION}", f"@{BOT_USERNAME} {QUESTION}")
]


@pytest.mark.parametrize(("kind", "caption"), GROUP_MEDIA)
async def test_group_media_gets_silence_even_with_a_caption_that_asks(fake, policybot, caplog, user, kind, caption):
    group = Chat.supergroup()
    fake.push_update(group_message(group, user, media_content(kind, caption=caption)))
    await assert_silent_in(fake, group.id)
    assert_no_errors(fake, caplog)


async def test_channel_media_gets_silence(fake, policybot, caplog):
    channel = Chat.channel()
    fake.push_update(channel_message(channel, media_content("photo", caption=f"/ask {QUESTION}")))
    await assert_silent_in(fake, channel.id)
    assert_no_errors(fake, caplog)


@pytest.mark.parametrize("text", [f"/ask {QUESTION}", f"/ask@{BOT_USERNAME} {QUESTION}", f"@{BOT_USERNAME} hi"])
async def test_another_bots_message_in_a_group_gets_silence(fake, policybot, caplog, text):
    group = Chat.supergroup()
    fake.push_update(group_text(group, OTHER_BOT, text))
    await assert_silent_in(fake, group.id)
    assert_no_errors(fake, caplog)


async def test_another_bots_message_in_a_private_chat_gets_silence(fake, policybot, caplog):
    fake.push_update(private_text(OTHER_BOT, QUESTION))
    await assert_silent_in(fake, OTHER_BOT.id)
    assert_no_errors(fake, caplog)


async def test_a_group_ask_without_from_is_answered(fake, policybot, caplog, user):
    reply = await reply_to(fake, without(group_text(Chat.supergroup(), user, f"/ask {QUESTION}"), "from"))
    assert ANSWERED in reply["text"]
    assert_no_errors(fake, caplog)


async def test_a_lone_surrogate_in_group_chatter_gets_silence(fake, policybot, caplog, user):
    group = Chat.supergroup()
    fake.push_update(group_text(group, user, "broken \ud800 client"))
    await assert_silent_in(fake, group.id)
    assert_no_errors(fake, caplog)


async def test_an_update_of_a_kind_nobody_handles_is_dropped_quietly(fake, policybot, caplog):
    # A compliant server never sends a kind outside allowed_updates, so this one goes straight into
    # PTB's queue, decoded from JSON as the updater would; the bot keeps answering afterwards.
    raw = json.loads('{"update_id": 9000001, "future_update": {"id": 1, "chat": {"id": 1234, "type": "private"}}}')
    await policybot.update_queue.put(Update.de_json(raw, policybot.bot))
    await settle(fake)
    assert [call for call in fake.calls if call.params.get("chat_id") == 1234] == []
    assert_no_errors(fake, caplog)


async def test_an_update_the_library_cannot_decode_is_skipped_and_the_questions_behind_it_answered(
    fake, policybot, caplog, user
):
    # python-telegram-bot decodes a getUpdates batch at once; one bad update used to fail the
    # batch, leave the offset unconfirmed and fetch the same batch forever.
    skipped = fake.push_update(private_message(user, {"poll": OLD_POLL}))
    reply = await ask_privately(fake, user, QUESTION)
    assert ANSWERED in entity_texts(reply, "blockquote")[0]
    [warning] = [record for record in caplog.records if "Skipped update" in record.getMessage()]
    assert warning.levelname == "WARNING"
    assert f"Skipped update {skipped['update_id']} (message)" in warning.getMessage()
    assert "persistent_id" in warning.getMessage()
    assert_no_errors(fake, caplog)


# --- forged buttons: whatever callback_data holds ---------------------------------------------


# What a forged button may carry: anything up to 64 bytes, often behind one of the real prefixes.
_ANY_DATA = st.text(st.characters(codec="utf-8"), max_size=64)
CALLBACK_DATA = st.one_of(_ANY_DATA, _ANY_DATA.map("m|".__add__), _ANY_DATA.map("s|".__add__)).filter(
    lambda data: len(data.encode()) <= 64
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=CALLBACK_DATA)
async def test_any_callback_data_gets_one_polite_answer(fake, policybot, caplog, data):
    caplog.clear()
    answer = await ask_privately(fake, User("Presser"), QUESTION)
    call = await press(fake, User("Presser"), answer, data)
    assert call.ok
    assert call.params.get("text") in (None, texts.BUTTON_UNKNOWN, texts.BUTTON_EXPIRED, texts.PASSAGE_GONE)
    assert errors_logged(caplog) == []

"""Groups and channels: the bot speaks only when addressed, and then as a reply."""

import pytest

from bot import texts
from tests.bot_helpers import BOT_USERNAME, ask_privately, assert_silent_in, reply_to, sent_to
from tests.fake_telegram import Chat, User, channel_post, group_text, private_text

ALICE = User("Alice", "alice")
BOB = User("Bob", "bob")
QUESTION = "what is minsk ii"
MINSK = "the implementation of the Minsk II agreement"


@pytest.fixture(params=["group", "supergroup"])
def chat(request) -> Chat:
    """Either kind of group: the core behaviours are checked in both."""
    return Chat.group() if request.param == "group" else Chat.supergroup()


@pytest.fixture
def supergroup() -> Chat:
    return Chat.supergroup()


async def test_ask_is_answered(fake, policybot, chat):
    reply = await reply_to(fake, group_text(chat, ALICE, f"/ask {QUESTION}"))
    assert MINSK in reply["text"]
    assert "[1] Overcoming the Wrong Détente" in reply["text"]
    assert fake.rejections == []


async def test_the_answer_replies_to_the_question(fake, policybot, supergroup):
    pushed = fake.push_update(group_text(supergroup, ALICE, f"/ask {QUESTION}"))
    [call] = await sent_to(fake, supergroup.id)
    assert call.params["reply_parameters"]["message_id"] == pushed["message"]["message_id"]
    assert call.result["reply_to_message"]["message_id"] == pushed["message"]["message_id"]
    assert fake.rejections == []


async def test_ask_addressed_to_this_bot_is_answered(fake, policybot, supergroup):
    reply = await reply_to(fake, group_text(supergroup, ALICE, f"/ask@{BOT_USERNAME} {QUESTION}"))
    assert MINSK in reply["text"]
    assert "reply_to_message" in reply
    assert fake.rejections == []


async def test_ask_addressed_to_another_bot_is_ignored(fake, policybot, chat):
    fake.push_update(group_text(chat, ALICE, f"/ask@otherbot {QUESTION}"))
    await assert_silent_in(fake, chat.id)
    assert fake.rejections == []


async def test_a_bare_ask_gets_a_one_line_usage_hint(fake, policybot, supergroup):
    reply = await reply_to(fake, group_text(supergroup, ALICE, "/ask"))
    assert reply["text"] == texts.ASK_USAGE
    assert "\n" not in reply["text"]
    assert "reply_to_message" in reply
    assert fake.rejections == []


async def test_ask_in_reply_answers_the_replied_message(fake, policybot, supergroup):
    question = fake.push_update(group_text(supergroup, BOB, QUESTION))["message"]
    reply = await reply_to(fake, group_text(supergroup, ALICE, "/ask", reply_to=question))
    assert MINSK in reply["text"]
    assert fake.rejections == []


async def test_a_reply_to_the_bot_is_answered(fake, policybot, supergroup):
    answer = await reply_to(fake, group_text(supergroup, ALICE, f"/ask {QUESTION}"))
    fake.push_update(group_text(supergroup, BOB, "Why keep the sanctions on Russia?", reply_to=answer))
    [_, call] = await sent_to(fake, supergroup.id, count=2)
    assert "sanctions" in call.result["text"]
    assert call.result["reply_to_message"]["from"]["id"] == BOB.id
    assert fake.rejections == []


async def test_a_mention_is_answered_as_if_the_mention_were_not_there(fake, policybot, supergroup):
    expected = await ask_privately(fake, ALICE, QUESTION)
    reply = await reply_to(fake, group_text(supergroup, BOB, f"@{BOT_USERNAME} {QUESTION}"))
    assert reply["text"] == expected["text"]
    assert fake.rejections == []


async def test_a_mention_after_emoji_is_cut_at_utf16_offsets(fake, policybot, supergroup):
    expected = await ask_privately(fake, ALICE, QUESTION)
    # The flag and the grinning face are two and one code points but four and two UTF-16 units.
    reply = await reply_to(fake, group_text(supergroup, BOB, f"🇺🇦😀 @{BOT_USERNAME} {QUESTION}"))
    assert reply["text"] == expected["text"]
    assert "searched for" not in reply["text"]
    assert fake.rejections == []


async def test_a_mention_in_other_case_at_the_end_is_answered(fake, policybot, supergroup):
    reply = await reply_to(fake, group_text(supergroup, BOB, f"{QUESTION}? @PolicyBot_Test_Bot"))
    assert MINSK in reply["text"]
    assert fake.rejections == []


async def test_a_bare_mention_gets_the_usage_hint(fake, policybot, supergroup):
    reply = await reply_to(fake, group_text(supergroup, BOB, f"@{BOT_USERNAME}"))
    assert reply["text"] == texts.ASK_USAGE
    assert fake.rejections == []


async def test_chatter_gets_silence(fake, policybot, chat):
    fake.push_update(group_text(chat, ALICE, QUESTION))
    await assert_silent_in(fake, chat.id)
    assert fake.rejections == []


async def test_a_reply_to_another_user_gets_silence(fake, policybot, supergroup):
    first = fake.push_update(group_text(supergroup, ALICE, "Anyone read the détente paper?"))["message"]
    fake.push_update(group_text(supergroup, BOB, "Why keep the sanctions on Russia?", reply_to=first))
    await assert_silent_in(fake, supergroup.id)
    assert fake.rejections == []


async def test_a_mention_of_another_user_gets_silence(fake, policybot, supergroup):
    fake.push_update(group_text(supergroup, ALICE, f"@someone_else {QUESTION}"))
    await assert_silent_in(fake, supergroup.id)
    assert fake.rejections == []


async def test_other_commands_get_silence(fake, policybot, supergroup):
    fake.push_update(group_text(supergroup, ALICE, "/weather@otherbot moscow"))
    await assert_silent_in(fake, supergroup.id)
    assert fake.rejections == []


async def test_sources_works_in_groups(fake, policybot, supergroup):
    reply = await reply_to(fake, group_text(supergroup, ALICE, f"/sources@{BOT_USERNAME}"))
    assert "Overcoming the Wrong Détente" in reply["text"]
    assert fake.rejections == []


async def test_group_command_menu_is_published(fake, policybot):
    commands = fake.commands_for({"type": "all_group_chats"})
    assert [c["command"] for c in commands] == ["ask", "help", "sources"]
    assert all(c["description"] for c in commands)
    assert fake.rejections == []


# --- channels ---------------------------------------------------------------------------------


async def test_a_channel_post_with_ask_is_answered_in_the_channel(fake, policybot):
    channel = Chat.channel()
    pushed = fake.push_update(channel_post(channel, f"/ask {QUESTION}"))
    [call] = await sent_to(fake, channel.id)
    assert MINSK in call.result["text"]
    assert call.result["sender_chat"]["id"] == channel.id
    assert call.result["reply_to_message"]["message_id"] == pushed["channel_post"]["message_id"]
    assert fake.rejections == []


async def test_other_channel_posts_get_silence(fake, policybot):
    channel = Chat.channel()
    fake.push_update(channel_post(channel, QUESTION))
    await assert_silent_in(fake, channel.id)
    assert fake.rejections == []


async def test_a_private_chat_answer_is_not_a_reply(fake, policybot):
    reply = await reply_to(fake, private_text(ALICE, QUESTION))
    assert "reply_to_message" not in reply
    assert fake.rejections == []

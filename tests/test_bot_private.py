"""Private chats: every text is a question, answered in HTML Telegram accepts."""

from tests.fake_telegram import User, private_text

ALICE = User("Alice", "alice", id=1001)


async def ask(fake, text: str, user: User = ALICE) -> dict:
    """Send `text` privately and return the bot's reply (the sendMessage call's result)."""
    update = fake.push_update(private_text(user, text))
    chat_id = update["message"]["chat"]["id"]
    [call] = await fake.wait_for_call(
        "sendMessage", predicate=lambda c: c.params["chat_id"] == chat_id and c.ok, timeout=10
    )
    return call.result


async def test_a_question_gets_quotes_and_citations(fake, policybot):
    reply = await ask(fake, "What is the Minsk II agreement?")
    assert "Minsk II agreement" in reply["text"]
    assert "[1] Overcoming the Wrong Détente — National Security Consequences" in reply["text"]
    assert any(e["type"] == "blockquote" for e in reply["entities"])
    assert fake.rejections == []


async def test_link_previews_are_off(fake, policybot):
    await ask(fake, "minsk ii")
    [call] = [c for c in fake.calls if c.method == "sendMessage"]
    assert call.params["link_preview_options"]["is_disabled"] is True


async def test_a_declined_question_says_so_with_topics(fake, policybot):
    reply = await ask(fake, "weather in moscow today")
    assert "not in the knowledge base" in reply["text"]
    assert "The Right Détente" in reply["text"]
    assert "reply_markup" not in reply


async def test_answers_have_source_and_more_buttons(fake, policybot):
    reply = await ask(fake, "russia sanctions")
    labels = [b["text"] for row in reply["reply_markup"]["inline_keyboard"] for b in row]
    assert "Source [1]" in labels
    assert labels[-1] == "More"

"""Private chats: every text is a question, answered in HTML Telegram accepts."""

import asyncio
import itertools
import re

import pytest
from telegram import Message

from bot import texts
from bot.decoding import results_unread
from tests.bot_helpers import (
    HUGE_QUESTION,
    assert_silent_in,
    calls_to,
    entity_texts,
    sent_to,
    settle,
    write_document,
    write_huge_document,
)
from tests.fake_telegram import User, edited_message, private_text, utf16_len

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
    assert fake.rejections == []


async def test_a_declined_question_says_so_with_topics(fake, policybot):
    reply = await ask(fake, "weather in moscow today")
    assert "not in the knowledge base" in reply["text"]
    assert "The Right Détente" in reply["text"]
    assert "reply_markup" not in reply
    assert fake.rejections == []


async def test_answers_have_source_and_more_buttons(fake, policybot):
    reply = await ask(fake, "russia sanctions")
    labels = [b["text"] for row in reply["reply_markup"]["inline_keyboard"] for b in row]
    assert "Source [1]" in labels
    assert labels[-1] == "More"
    assert fake.rejections == []


async def test_answers_are_sent_as_html(fake, policybot):
    await ask(fake, "minsk ii")
    [call] = [c for c in fake.calls if c.method == "sendMessage"]
    assert call.params["parse_mode"] == "HTML"
    assert "<blockquote>" in call.params["text"]
    assert fake.rejections == []


async def test_each_quote_is_numbered_and_each_number_cited(fake, policybot):
    reply = await ask(fake, "russia")
    quoted = {re.search(r"\[(\d+)\]$", quote).group(1) for quote in entity_texts(reply, "blockquote")}
    cited = set(re.findall(r"^\[(\d+)\] Overcoming the Wrong Détente — \S", reply["text"], re.MULTILINE))
    assert quoted == cited == {"1", "2", "3"}
    assert fake.rejections == []


async def test_a_broad_answer_fits_in_one_message(fake, policybot):
    reply = await ask(fake, "russia")
    assert utf16_len(reply["text"]) <= 4096
    assert fake.rejections == []


async def test_a_question_without_words_says_there_is_nothing_to_search(fake, policybot):
    reply = await ask(fake, "???")
    assert reply["text"].startswith(texts.NOTHING_TO_SEARCH)
    assert "The Wrong Détente" in reply["text"]
    assert fake.rejections == []


async def test_typo_corrections_are_shown(fake, policybot):
    reply = await ask(fake, "minks agreemnt")
    assert "(searched for “minsk” instead of “minks”)" in reply["text"]
    assert "(searched for “agreement” instead of “agreemnt”)" in reply["text"]
    assert "Minsk II agreement" in reply["text"]
    assert fake.rejections == []


# A glossary of made-up eight-letter words, all in one passage: a question naming each of them
# with a typo is answered from that passage and needs 120 corrections, far more than fit a message.
_SYLLABLES = ("ba", "ke", "li", "mo", "nu", "pa", "re", "si", "to", "vu", "za", "de")
GLOSSARY_WORDS = ["".join(s) for s in itertools.product(_SYLLABLES, repeat=4)][::97][:120]


def _with_typo(word: str) -> str:
    return word[0] + word[2] + word[1] + word[3:]


@pytest.fixture
def glossary_document(knowledge_dir):
    return write_document(knowledge_dir, "glossary.md", "title: Glossary", " ".join(GLOSSARY_WORDS))


@pytest.fixture
async def bot_with_glossary(glossary_document, policybot):
    return policybot


async def test_a_typo_in_a_glossary_word_is_corrected(fake, bot_with_glossary):
    reply = await ask(fake, _with_typo(GLOSSARY_WORDS[0]))
    assert f"(searched for “{GLOSSARY_WORDS[0]}” instead of “{_with_typo(GLOSSARY_WORDS[0])}”)" in reply["text"]
    assert "[1] Glossary" in reply["text"]
    assert fake.rejections == []


async def test_a_question_with_many_typos_still_gets_an_answer_that_fits(fake, bot_with_glossary):
    question = " ".join(_with_typo(word) for word in GLOSSARY_WORDS)
    assert len(question) < 4096  # a message any user can send

    reply = await ask(fake, question)

    assert reply["text"] != texts.SOMETHING_WENT_WRONG
    assert utf16_len(reply["text"]) <= 4096
    assert any(GLOSSARY_WORDS[0] in quote for quote in entity_texts(reply, "blockquote"))
    assert fake.rejections == []


async def test_markup_in_the_question_is_harmless(fake, policybot):
    reply = await ask(fake, "<b>sanctoins</b> & <i>russia</i> </>")
    assert "instead of “sanctoins”)" in reply["text"]
    assert any(e["type"] == "blockquote" for e in reply["entities"])
    assert fake.rejections == []


async def test_start_explains_with_the_documents_and_examples(fake, policybot):
    reply = await ask(fake, "/start")
    assert "Overcoming the Wrong Détente" in reply["text"]
    assert all(question in reply["text"] for question in texts.EXAMPLE_QUESTIONS)
    assert "/ask" in reply["text"]
    assert fake.rejections == []


async def test_help_explains_like_start(fake, policybot):
    help_reply = await ask(fake, "/help")
    start_reply = await ask(fake, "/start", User("Bob", "bob"))
    assert help_reply["text"] == start_reply["text"]
    assert "@policybot_test_bot" in help_reply["text"]
    assert fake.rejections == []


async def test_start_from_the_inline_button_deep_link_explains(fake, policybot):
    reply = await ask(fake, "/start help")
    assert "Overcoming the Wrong Détente" in reply["text"]
    assert texts.EXAMPLE_QUESTIONS[0] in reply["text"]
    assert fake.rejections == []


async def test_sources_lists_the_documents(fake, policybot):
    reply = await ask(fake, "/sources")
    assert reply["text"] == f"{texts.SOURCES_HEADER}\n• Overcoming the Wrong Détente"
    assert fake.rejections == []


async def test_ask_works_in_private_too(fake, policybot):
    reply = await ask(fake, "/ask what is minsk ii")
    assert "Minsk II agreement" in reply["text"]
    assert fake.rejections == []


async def test_an_edited_question_is_not_answered_again(fake, policybot):
    pushed = fake.push_update(private_text(ALICE, "What is the Minsk II agreement?"))
    await sent_to(fake, ALICE.id)
    fake.push_update(edited_message(pushed["message"], "Why keep the sanctions on Russia?"))
    await settle(fake)
    assert [c.method for c in calls_to(fake, ALICE.id)] == ["sendMessage"]
    assert fake.rejections == []


async def test_private_command_menu_is_published(fake, policybot):
    commands = fake.commands_for({"type": "all_private_chats"})
    assert [c["command"] for c in commands] == ["help", "sources", "reload"]
    assert all(c["description"] for c in commands)
    assert fake.rejections == []


# --- documents that are hard to render --------------------------------------------------------

MARKUP_TITLE = "Rules <b>bold</b> & <script>alert(1)</script>"
MARKUP_SECTION = "Tags & <i>exceptions</i>"
MARKUP_URL = "https://example.org/rules?a=1&b=<2>"
MARKUP_SENTENCE = 'The zeppelin rule: <b>never</b> fly & land, and <script>alert("x")</script> stays text.'


@pytest.fixture
def markup_document(knowledge_dir):
    """A document whose title, url, heading and text look like HTML, written before the bot starts."""
    return write_document(
        knowledge_dir,
        "markup.md",
        f"title: '{MARKUP_TITLE}'\nurl: '{MARKUP_URL}'",
        f"## {MARKUP_SECTION}\n\n{MARKUP_SENTENCE}",
    )


@pytest.fixture
async def bot_with_markup_document(markup_document, policybot):
    return policybot


@pytest.fixture
def huge_document(knowledge_dir):
    return write_huge_document(knowledge_dir)


@pytest.fixture
async def bot_with_huge_document(huge_document, policybot):
    return policybot


async def test_document_text_that_looks_like_html_comes_back_literally(fake, bot_with_markup_document):
    reply = await ask(fake, "zeppelin rule")
    assert f"{MARKUP_SENTENCE} [1]" in entity_texts(reply, "blockquote")
    assert fake.rejections == []


async def test_a_title_and_heading_that_look_like_html_are_cited_literally(fake, bot_with_markup_document):
    reply = await ask(fake, "zeppelin rule")
    assert f"[1] {MARKUP_TITLE} — {MARKUP_SECTION}" in reply["text"]
    assert fake.rejections == []


async def test_a_document_url_with_ampersands_is_linked_intact(fake, bot_with_markup_document):
    reply = await ask(fake, "zeppelin rule")
    [link] = [e for e in reply["entities"] if e["type"] == "text_link"]
    assert link["url"] == MARKUP_URL
    assert entity_texts(reply, "text_link") == [MARKUP_TITLE]
    assert fake.rejections == []


async def test_sources_shows_a_title_that_looks_like_html_literally(fake, bot_with_markup_document):
    reply = await ask(fake, "/sources")
    assert f"• {MARKUP_TITLE} — {MARKUP_URL}" in reply["text"]
    assert fake.rejections == []


async def test_a_huge_passage_is_cut_to_fit_one_message(fake, bot_with_huge_document):
    reply = await ask(fake, HUGE_QUESTION)
    [quote] = entity_texts(reply, "blockquote")
    assert quote.startswith("Paragraph ")
    assert quote.endswith("… [1]")
    assert "[1] The Huge Fleet — Fleet" in reply["text"]
    assert 3000 < utf16_len(reply["text"]) <= 4096
    assert fake.rejections == []


# --- a large knowledge base -------------------------------------------------------------------

MANY = 80


@pytest.fixture
def many_documents(knowledge_dir):
    """Eighty papers with long titles and urls: an ordinary size for a policy library."""
    for i in range(MANY):
        write_document(
            knowledge_dir,
            f"paper-{i:03}.md",
            f"title: Policy Paper {i} on Transatlantic Relations and Security\n"
            f"url: https://example.org/papers/{i}/transatlantic-relations",
            f"The paper number {i} discusses convoys.",
        )


@pytest.fixture
async def bot_with_many_documents(many_documents, policybot):
    return policybot


async def test_sources_of_a_large_knowledge_base_fit_in_messages(fake, bot_with_many_documents):
    reply = await ask(fake, "/sources")
    assert reply["text"].startswith(texts.SOURCES_HEADER)
    assert "Policy Paper 0 on Transatlantic Relations and Security" in reply["text"]
    assert utf16_len(reply["text"]) <= 4096
    assert fake.rejections == []


async def test_help_of_a_large_knowledge_base_fits_in_a_message(fake, bot_with_many_documents):
    reply = await ask(fake, "/help")
    assert texts.EXAMPLE_QUESTIONS[0] in reply["text"]
    assert utf16_len(reply["text"]) <= 4096
    assert fake.rejections == []


async def test_an_answer_posted_through_inline_mode_is_not_answered_again(fake, policybot):
    me = User("Policybot", "policybot_test_bot", id=fake.bot_user["id"], is_bot=True)
    update = fake.push_update(private_text(ALICE, "“Minsk II agreement” [1]", via_bot=me))
    await assert_silent_in(fake, update["message"]["chat"]["id"])
    assert fake.rejections == []


async def test_a_429_is_retried_after_the_time_telegram_asked_for(fake, policybot):
    fake.fail_next("sendMessage", 429, retry_after=1)
    update = fake.push_update(private_text(ALICE, "minsk ii"))
    chat_id = update["message"]["chat"]["id"]
    attempts = await fake.wait_for_call(
        "sendMessage", count=2, timeout=15, predicate=lambda c: c.params["chat_id"] == chat_id
    )
    refused, delivered = attempts[0], attempts[-1]
    assert refused.status == 429 and delivered.ok
    assert delivered.at - refused.at >= 1.0  # waited out, not hammered
    assert "Minsk II agreement" in delivered.result["text"]


async def test_a_slow_reply_does_not_hold_other_chats(fake, policybot):
    slow_chat = {}

    async def slow_for_alice(call):
        if call.params.get("chat_id") == ALICE.id and not slow_chat:
            slow_chat["held"] = True
            await asyncio.sleep(3)

    fake.add_hook("sendMessage", slow_for_alice)
    fake.push_update(private_text(ALICE, "minsk ii"))
    await asyncio.sleep(0.2)
    bob = User("Bob", "bob", id=1002)
    started = asyncio.get_running_loop().time()
    reply = await ask(fake, "european reassurance initiative", bob)
    assert asyncio.get_running_loop().time() - started < 2.0
    assert "European Reassurance Initiative" in reply["text"]


async def test_messages_sent_with_results_unread_are_delivered_and_not_decoded(fake, policybot):
    chat = fake.push_update(private_text(User("Uma", "uma"), "hello"))["message"]["chat"]["id"]
    await sent_to(fake, chat)  # its answer; now the chat is known to the fake
    with results_unread():
        unread = await policybot.bot.send_message(chat, "<b>one</b>")
    read = await policybot.bot.send_message(chat, "<b>two</b>")
    assert unread is True
    assert isinstance(read, Message) and read.text == "two"
    assert [call.result["text"] for call in calls_to(fake, chat) if call.method == "sendMessage"][-2:] == ["one", "two"]

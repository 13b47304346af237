"""Buttons under answers: "Source [n]" posts the whole passage, "More" pages on; every press is answered."""

import asyncio

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import texts
from bot.buttons import CallbackRow, more_data, source_data
from bot.settings import BUNDLED_KNOWLEDGE
from tests.bot_helpers import (
    HUGE_QUESTION,
    WAIT,
    ask_privately,
    button_data,
    buttons,
    entity_texts,
    press,
    reply_to,
    sent_to,
    write_huge_document,
)
from tests.fake_telegram import Chat, User, callback_query, group_text, utf16_len
from tests.fake_telegram.server import NOT_MODIFIED

DAVE = User("Dave", "dave")
DOCUMENT_TEXT = BUNDLED_KNOWLEDGE.joinpath("overcoming-the-wrong-detente.md").read_text(encoding="utf-8")
BROAD = "russia"  # answered over several pages


async def edits_in(fake, chat_id: int, count: int) -> list[dict]:
    """The results of the first `count` accepted editMessageText calls in `chat_id`."""
    calls = await fake.wait_for_call(
        "editMessageText", count=count, predicate=lambda c: c.params["chat_id"] == chat_id and c.ok, timeout=WAIT
    )
    return [call.result for call in calls[:count]]


def test_an_answer_keyboard_goes_out_as_the_library_would_send_it():
    row = [("Source [1]", source_data("0123456789abcdef")), ("Ещё ▸ 🔎", more_data("k3y", 2))]
    library = InlineKeyboardMarkup([[InlineKeyboardButton(text, callback_data=data) for text, data in row]])
    assert CallbackRow(row).to_dict() == library.to_dict()
    assert CallbackRow(row) == library


# --- Source -------------------------------------------------------------------------------------


async def test_source_press_is_answered(fake, policybot):
    answer = await ask_privately(fake, DAVE, "minsk ii")
    call = await press(fake, DAVE, answer, button_data(answer, "Source [1]"))
    assert call.ok
    assert call.params.get("text") is None  # a plain acknowledgement, no toast
    assert fake.rejections == []


async def test_source_posts_the_whole_passage_with_its_citation(fake, policybot):
    answer = await ask_privately(fake, DAVE, "minsk ii")
    await press(fake, DAVE, answer, button_data(answer, "Source [1]"))
    [_, call] = await sent_to(fake, DAVE.id, count=2)
    [passage] = entity_texts(call.result, "blockquote")
    [quote] = entity_texts(answer, "blockquote")
    assert quote.removesuffix(" [1]") in passage
    assert len(passage) > len(quote)
    assert f"\n\n{passage}\n\n" in DOCUMENT_TEXT  # a whole paragraph, verbatim
    assert call.result["text"].endswith(
        "Overcoming the Wrong Détente — National Security Consequences of Premature Sanctions Removal"
    )
    assert fake.rejections == []


async def test_source_is_posted_as_a_reply_to_the_answer(fake, policybot):
    answer = await ask_privately(fake, DAVE, "minsk ii")
    await press(fake, DAVE, answer, button_data(answer, "Source [1]"))
    [_, call] = await sent_to(fake, DAVE.id, count=2)
    assert call.result["reply_to_message"]["message_id"] == answer["message_id"]
    assert fake.rejections == []


async def test_source_works_in_groups(fake, policybot):
    group = Chat.supergroup()
    answer = await reply_to(fake, group_text(group, DAVE, "/ask minsk ii"))
    await press(fake, DAVE, answer, button_data(answer, "Source [1]"))
    [_, call] = await sent_to(fake, group.id, count=2)
    assert call.result["reply_to_message"]["message_id"] == answer["message_id"]
    assert "Minsk II agreement" in call.result["text"]
    assert fake.rejections == []


async def test_source_of_a_passage_that_is_gone_says_so(fake, policybot):
    answer = await ask_privately(fake, DAVE, "minsk ii")
    call = await press(fake, DAVE, answer, "s|0123456789abcdef")
    assert call.params["text"] == texts.PASSAGE_GONE
    assert fake.rejections == []


@pytest.fixture
async def bot_with_huge_document(huge_document, policybot):
    return policybot


@pytest.fixture
def huge_document(knowledge_dir):
    return write_huge_document(knowledge_dir)


async def test_source_of_a_huge_passage_is_cut_to_fit(fake, bot_with_huge_document):
    answer = await ask_privately(fake, DAVE, HUGE_QUESTION)
    await press(fake, DAVE, answer, button_data(answer, "Source [1]"))
    [_, call] = await sent_to(fake, DAVE.id, count=2)
    [passage] = entity_texts(call.result, "blockquote")
    assert passage.startswith("Paragraph ")
    assert passage.endswith("…")
    assert call.result["text"].endswith("The Huge Fleet — Fleet")
    assert 3000 < utf16_len(call.result["text"]) <= 4096
    assert fake.rejections == []


# --- More ---------------------------------------------------------------------------------------


async def test_more_press_is_answered(fake, policybot):
    answer = await ask_privately(fake, DAVE, BROAD)
    call = await press(fake, DAVE, answer, button_data(answer, "More"))
    assert call.ok
    assert call.params.get("text") is None
    assert fake.rejections == []


async def test_more_edits_the_answer_to_the_next_passages(fake, policybot):
    answer = await ask_privately(fake, DAVE, BROAD)
    await press(fake, DAVE, answer, button_data(answer, "More"))
    [edited] = await edits_in(fake, DAVE.id, 1)
    assert edited["message_id"] == answer["message_id"]
    first, second = set(entity_texts(answer, "blockquote")), set(entity_texts(edited, "blockquote"))
    assert second and not first & second
    assert "[1] Overcoming the Wrong Détente" in edited["text"]
    assert fake.rejections == []


async def test_more_brings_a_new_keyboard(fake, policybot):
    answer = await ask_privately(fake, DAVE, BROAD)
    more = button_data(answer, "More")
    await press(fake, DAVE, answer, more)
    [edited] = await edits_in(fake, DAVE.id, 1)
    key = more.split("|")[1]
    assert button_data(edited, "More") == f"m|{key}|2"
    assert {b["callback_data"] for b in buttons(edited)}.isdisjoint(b["callback_data"] for b in buttons(answer))
    assert fake.rejections == []


async def test_more_until_the_end_says_that_was_everything(fake, policybot):
    message = await ask_privately(fake, DAVE, BROAD)
    pages = 1
    while any(b["text"] == "More" for b in buttons(message)):
        more = button_data(message, "More")
        await press(fake, DAVE, message, more)
        [*_, message] = await edits_in(fake, DAVE.id, pages)
        pages += 1
        assert pages < 20
    assert pages >= 3
    assert all(b["text"].startswith("Source [") for b in buttons(message))
    # The last page has no "More"; a "More" for the page after it (from before a reload, say) ends it.
    key, page = more.split("|")[1], int(more.split("|")[2])
    call = await press(fake, DAVE, message, f"m|{key}|{page + 1}")
    assert call.params["text"] == texts.NO_MORE
    assert fake.rejections == []


async def test_a_double_press_on_more_is_answered_both_times(fake, policybot):
    answer = await ask_privately(fake, DAVE, BROAD)
    more = button_data(answer, "More")
    await press(fake, DAVE, answer, more)
    await edits_in(fake, DAVE.id, 1)
    second = await press(fake, DAVE, answer, more)  # the same button, before the client saw the edit
    await asyncio.sleep(0.3)
    assert second.ok
    assert texts.SOMETHING_WENT_WRONG not in str([c.params for c in fake.calls])
    # The one refusal is the second edit, "not modified", which the bot expects and lets pass.
    assert [c.description for c in fake.rejections] == [f"Bad Request: {NOT_MODIFIED}"]


async def test_an_expired_more_key_says_expired(fake, policybot):
    answer = await ask_privately(fake, DAVE, BROAD)
    call = await press(fake, DAVE, answer, "m|AAAAAAAA|1")
    assert call.params["text"] == texts.BUTTON_EXPIRED
    assert call.params["show_alert"] is True
    assert fake.rejections == []


# --- forged presses -----------------------------------------------------------------------------


@pytest.mark.parametrize("data", ["xyz", "m|nokey|1", "m|k|999", "m|k|0", "s|", ""])
async def test_forged_callback_data_gets_a_polite_answer(fake, policybot, data):
    answer = await ask_privately(fake, DAVE, BROAD)
    call = await press(fake, DAVE, answer, data)
    assert call.params["text"] in (texts.BUTTON_UNKNOWN, texts.BUTTON_EXPIRED)
    assert fake.rejections == []


async def test_a_forged_page_of_superscript_digits_gets_a_polite_answer(fake, policybot):
    answer = await ask_privately(fake, DAVE, BROAD)
    call = await press(fake, DAVE, answer, "m|k|²")
    assert call.params["text"] in (texts.BUTTON_UNKNOWN, texts.BUTTON_EXPIRED)
    assert fake.rejections == []


async def test_the_bot_keeps_answering_after_forged_presses(fake, policybot):
    answer = await ask_privately(fake, DAVE, BROAD)
    for data in ("xyz", "m|nokey|1", "m|k|999", "s|"):
        await press(fake, DAVE, answer, data)
    again = await ask_privately(fake, User("Erin", "erin"), "minsk ii")
    assert "Minsk II agreement" in again["text"]
    assert fake.rejections == []


async def test_every_press_gets_exactly_one_answer(fake, policybot):
    answer = await ask_privately(fake, DAVE, BROAD)
    presses = [
        button_data(answer, "Source [1]"),
        button_data(answer, "Source [2]"),
        button_data(answer, "More"),
        "m|AAAAAAAA|1",
        "s|0123456789abcdef",
        "xyz",
        "m|k|999",
        "s|",
    ]
    ids = [fake.push_update(callback_query(DAVE, answer, data))["callback_query"]["id"] for data in presses]
    await fake.wait_for_call("answerCallbackQuery", count=len(ids), timeout=WAIT)
    await sent_to(fake, DAVE.id, count=3)  # the answer and the two sources
    await edits_in(fake, DAVE.id, 1)
    await asyncio.sleep(0.3)
    answered = [c.params["callback_query_id"] for c in fake.calls if c.method == "answerCallbackQuery"]
    assert sorted(answered) == sorted(ids)
    assert fake.rejections == []


async def test_callback_data_of_every_button_fits_in_64_bytes(fake, policybot):
    # A long question, with non-ASCII text, must not leak into callback_data.
    question = "Why should the sanctions on Russia — über alles — stay in place " * 30
    await ask_privately(fake, DAVE, question)
    answer = await ask_privately(fake, User("Erin", "erin"), BROAD)
    await press(fake, DAVE, answer, button_data(answer, "More"))
    await edits_in(fake, answer["chat"]["id"], 1)
    data = [b["callback_data"] for message in fake.sent for b in buttons(message)]
    assert len(data) >= 8
    assert all(1 <= len(d.encode()) <= 64 for d in data)
    assert fake.rejections == []


async def test_a_press_whose_edit_fails_is_still_answered_once(fake, policybot):
    answer = await ask_privately(fake, DAVE, BROAD)
    fake.fail_next("editMessageText", 400, "Bad Request: message to edit not found")  # deleted meanwhile
    query_id = fake.push_update(callback_query(DAVE, answer, button_data(answer, "More")))["callback_query"]["id"]
    await fake.wait_for_call("editMessageText", timeout=WAIT)
    await asyncio.sleep(0.3)
    answers = [c for c in fake.calls if c.method == "answerCallbackQuery"]
    assert [c.params["callback_query_id"] for c in answers] == [query_id]
    assert [c.description for c in fake.rejections] == ["Bad Request: message to edit not found"]

"""Admins reload the knowledge base from Telegram; nobody else can, however they dress up."""

import asyncio
import re

import pytest

from bot import texts
from retrieval.knowledge_base import rebuild
from tests.bot_helpers import (
    BOT_USERNAME,
    WAIT,
    ZEPPELIN_QUESTION,
    ask_privately,
    button_data,
    calls_to,
    in_chat,
    press,
    sent_to,
    settle,
    write_document,
    write_zeppelin_document,
)
from tests.conftest import ADMIN_ID
from tests.fake_telegram import Chat, User, forwarded_from, group_text, private_text

ADMIN = User("Ada", "ada_admin", id=ADMIN_ID)
MALLORY = User("Mallory", "mallory")
ADMIN_GROUP = Chat.supergroup("Admins")
IMPOSTOR = User("Ada", "ada_admin", id=ADMIN_ID + 1)  # the admin's name and username, not the id
DONE = re.compile(
    r"Knowledge base reloaded in [\d.]+s: (\d+) documents, (\d+) passages "
    r"\((\d+) added, (\d+) changed, (\d+) removed\)\."
)


async def reload_outcome(fake, chat_id: int) -> str:
    """The text the bot's "Reloading…" reply in `chat_id` was edited to."""
    [call] = await fake.wait_for_call("editMessageText", predicate=in_chat(chat_id), timeout=WAIT)
    return call.result["text"]


async def assert_declined(fake, question: str) -> None:
    reply = await ask_privately(fake, User("Quinn", "quinn"), question)
    assert reply["text"].startswith(texts.NOT_COVERED)


def write_many_documents(folder, count: int = 300) -> None:
    """Enough documents that a rebuild takes a good part of a second, long beside one answer."""
    for i in range(count):
        write_document(folder, f"bulk-{i:03}.md", f"title: Bulletin {i}", f"Notes on widgets, batch {i}.")


# --- reloading ----------------------------------------------------------------------------------


async def test_reload_says_it_is_reloading_then_edits_that_to_a_summary(fake, policybot):
    fake.push_update(private_text(ADMIN, "/reload"))
    [started] = await sent_to(fake, ADMIN_ID)
    assert started.result["text"] == texts.RELOAD_STARTED
    [call] = await fake.wait_for_call("editMessageText", predicate=in_chat(ADMIN_ID), timeout=WAIT)
    assert call.params["message_id"] == started.result["message_id"]
    assert DONE.fullmatch(call.result["text"])
    assert fake.rejections == []


@pytest.fixture
def retired_document(knowledge_dir):
    """A document present when the bot starts, for a test to remove."""
    return write_document(
        knowledge_dir, "retired.md", "title: Retired Memo", "Carrier pigeons deliver the retired memo every Sunday."
    )


@pytest.fixture
async def bot_with_retired_document(retired_document, policybot):
    return policybot


async def test_reload_summary_counts_documents_added_changed_removed_and_passages(
    fake, knowledge_dir, retired_document, bot_with_retired_document, tmp_path
):
    retired_document.unlink()
    write_zeppelin_document(knowledge_dir)
    changed = knowledge_dir / "overcoming-the-wrong-detente.md"
    changed.write_text(changed.read_text(encoding="utf-8") + "\nA closing paragraph added later.\n", encoding="utf-8")
    expected = rebuild(knowledge_dir, tmp_path / "expected.db")

    fake.push_update(private_text(ADMIN, "/reload"))
    outcome = DONE.fullmatch(await reload_outcome(fake, ADMIN_ID))

    assert outcome is not None
    assert outcome.groups() == ("2", str(expected.passages), "1", "1", "1")
    assert fake.rejections == []


async def test_after_reload_a_new_document_is_answered(fake, knowledge_dir, policybot):
    write_zeppelin_document(knowledge_dir)
    await assert_declined(fake, ZEPPELIN_QUESTION)
    fake.push_update(private_text(ADMIN, "/reload"))
    await reload_outcome(fake, ADMIN_ID)

    reply = await ask_privately(fake, User("Zed", "zed"), ZEPPELIN_QUESTION)
    assert "two thousand metres" in reply["text"]
    assert "[1] Airship Doctrine — Altitude" in reply["text"]
    assert fake.rejections == []


async def test_after_reload_a_source_button_of_a_removed_passage_says_gone(
    fake, retired_document, bot_with_retired_document
):
    answer = await ask_privately(fake, ADMIN, "carrier pigeons")
    retired_document.unlink()
    fake.push_update(private_text(ADMIN, "/reload"))
    await reload_outcome(fake, ADMIN_ID)

    call = await press(fake, ADMIN, answer, button_data(answer, "Source [1]"))
    assert call.params["text"] == texts.PASSAGE_GONE
    assert fake.rejections == []


async def test_reload_works_in_a_group(fake, knowledge_dir, policybot):
    group = Chat.supergroup()
    write_zeppelin_document(knowledge_dir)
    pushed = fake.push_update(group_text(group, ADMIN, "/reload@policybot_test_bot"))
    [started] = await sent_to(fake, group.id)
    assert started.result["text"] == texts.RELOAD_STARTED
    assert started.result["reply_to_message"]["message_id"] == pushed["message"]["message_id"]
    outcome = DONE.fullmatch(await reload_outcome(fake, group.id))
    assert outcome is not None and outcome.group(3) == "1"
    assert fake.rejections == []


# --- who may reload -----------------------------------------------------------------------------


async def assert_refused(fake, chat_id: int) -> None:
    [call] = await sent_to(fake, chat_id)
    assert call.result["text"] == texts.RELOAD_REFUSED
    await settle(fake)
    assert [c.method for c in calls_to(fake, chat_id)] == ["sendMessage"]  # no "Reloading…", no edit


async def test_reload_from_a_non_admin_is_refused(fake, policybot):
    fake.push_update(private_text(MALLORY, "/reload"))
    await assert_refused(fake, MALLORY.id)
    assert fake.rejections == []


async def test_reload_from_a_non_admin_changes_nothing(fake, knowledge_dir, policybot):
    write_zeppelin_document(knowledge_dir)
    fake.push_update(private_text(MALLORY, "/reload"))
    await assert_refused(fake, MALLORY.id)
    await assert_declined(fake, ZEPPELIN_QUESTION)
    assert fake.rejections == []


async def test_reload_from_a_non_admin_in_a_group_is_refused(fake, policybot):
    group = Chat.supergroup()
    fake.push_update(group_text(group, MALLORY, "/reload"))
    await assert_refused(fake, group.id)
    assert fake.rejections == []


async def test_the_admins_username_on_another_id_is_refused(fake, policybot):
    fake.push_update(private_text(IMPOSTOR, "/reload"))
    await assert_refused(fake, IMPOSTOR.id)
    assert fake.rejections == []


async def test_an_anonymous_group_admin_is_refused(fake, policybot):
    group = Chat.supergroup()
    fake.push_update(group_text(group, None, "/reload", sender_chat=group))
    await assert_refused(fake, group.id)
    assert fake.rejections == []


async def test_a_forwarded_admin_message_sent_by_a_non_admin_is_refused(fake, policybot):
    fake.push_update(private_text(MALLORY, "/reload", forward_origin=forwarded_from(ADMIN)))
    await assert_refused(fake, MALLORY.id)
    assert fake.rejections == []


async def test_a_forwarded_admin_message_in_a_group_is_refused(fake, policybot):
    group = Chat.supergroup()
    fake.push_update(group_text(group, MALLORY, "/reload", forward_origin=forwarded_from(ADMIN)))
    await assert_refused(fake, group.id)
    assert fake.rejections == []


# --- failures and concurrency -------------------------------------------------------------------


def write_broken_document(folder) -> None:
    """A document whose front matter is not YAML (written after start-up, which it would stop)."""
    write_document(folder, "broken.md", "title: [unclosed", "Some text.")


async def test_a_failing_reload_names_the_file_and_the_reason(fake, knowledge_dir, policybot):
    write_broken_document(knowledge_dir)
    fake.push_update(private_text(ADMIN, "/reload"))
    outcome = await reload_outcome(fake, ADMIN_ID)
    assert outcome.startswith("Reload failed, still answering from the previous knowledge base")
    assert "broken.md: invalid YAML front matter" in outcome
    assert fake.rejections == []


async def test_after_a_failing_reload_the_old_knowledge_base_answers(fake, knowledge_dir, policybot):
    write_broken_document(knowledge_dir)
    write_zeppelin_document(knowledge_dir)  # a good new document beside the bad one
    fake.push_update(private_text(ADMIN, "/reload"))
    await reload_outcome(fake, ADMIN_ID)

    reply = await ask_privately(fake, User("Zed", "zed"), "What is the Minsk II agreement?")
    assert "Minsk II agreement" in reply["text"]
    await assert_declined(fake, ZEPPELIN_QUESTION)
    assert fake.rejections == []


async def test_the_admin_is_answered_in_the_same_chat_while_the_reload_runs(fake, knowledge_dir, policybot):
    write_many_documents(knowledge_dir)
    write_zeppelin_document(knowledge_dir)
    fake.push_update(private_text(ADMIN, "/reload"))
    await sent_to(fake, ADMIN_ID)  # "Reloading…"
    fake.push_update(private_text(ADMIN, ZEPPELIN_QUESTION))

    def the_answer(call) -> bool:
        return in_chat(ADMIN_ID)(call) and call.params["text"] != texts.RELOAD_STARTED

    [answer] = await fake.wait_for_call("sendMessage", predicate=the_answer, timeout=WAIT)
    # Answered from the knowledge base in service while the rebuild ran, not after the swap.
    assert answer.params["text"].startswith(texts.NOT_COVERED)
    assert DONE.fullmatch(await reload_outcome(fake, ADMIN_ID))
    assert fake.rejections == []


async def test_a_second_reload_while_one_runs_says_one_is_running(fake, knowledge_dir, policybot):
    write_many_documents(knowledge_dir)
    fake.push_update(private_text(ADMIN, "/reload"))
    await sent_to(fake, ADMIN_ID)  # "Reloading…": the first reload starts right after it
    await asyncio.sleep(0.1)  # well inside the rebuild of 300 documents in a fresh process
    # From another chat: the admin's own chat handles one update at a time (bot.ordering).
    fake.push_update(group_text(ADMIN_GROUP, ADMIN, f"/reload@{BOT_USERNAME}"))

    [busy] = await fake.wait_for_call(
        "sendMessage",
        predicate=lambda c: in_chat(ADMIN_GROUP.id)(c) and c.params["text"] == texts.RELOAD_BUSY,
        timeout=WAIT,
    )
    [done] = await fake.wait_for_call(
        "editMessageText", predicate=lambda c: in_chat(ADMIN_ID)(c) and DONE.fullmatch(c.params["text"]), timeout=WAIT
    )
    assert fake.calls.index(busy) < fake.calls.index(done)  # said while the first one ran
    assert [c.method for c in calls_to(fake, ADMIN_ID)] == ["sendMessage", "editMessageText"]
    assert fake.rejections == []


async def test_two_reloads_back_to_back_run_one_rebuild(fake, knowledge_dir, policybot):
    write_many_documents(knowledge_dir)
    fake.push_update(private_text(ADMIN, "/reload"))
    fake.push_update(group_text(ADMIN_GROUP, ADMIN, f"/reload@{BOT_USERNAME}"))  # another chat: handled at once

    await fake.wait_for_call(
        "editMessageText", predicate=lambda c: DONE.fullmatch(c.params["text"]) is not None, timeout=WAIT
    )
    await settle(fake)
    # However the two interleave, one reply ends as the summary and the other as "already running".
    chats = (ADMIN_ID, ADMIN_GROUP.id)
    final = [m["text"] for chat in chats for m in fake.messages_in(chat) if m["from"]["is_bot"]]
    assert len(final) == 2
    assert texts.RELOAD_BUSY in final
    assert any(DONE.fullmatch(text) for text in final)
    assert fake.rejections == []


async def test_a_question_during_a_reload_is_answered_meanwhile(fake, knowledge_dir, policybot):
    write_many_documents(knowledge_dir)
    fake.push_update(private_text(ADMIN, "/reload"))
    asker = User("Quick", "quick")
    reply = await ask_privately(fake, asker, "What is the Minsk II agreement?")

    assert "Minsk II agreement" in reply["text"]
    assert "[1] Overcoming the Wrong Détente" in reply["text"]
    done = await fake.wait_for_call("editMessageText", predicate=in_chat(ADMIN_ID), timeout=WAIT)
    [answered] = [c for c in fake.calls if c.params.get("chat_id") == asker.id]
    assert fake.calls.index(answered) < fake.calls.index(done[0])  # before the reload finished
    assert DONE.fullmatch(done[0].result["text"])
    assert fake.rejections == []


async def test_a_reload_failing_on_many_documents_still_reports_it(fake, knowledge_dir, policybot):
    for i in range(60):  # plain Markdown files, without front matter: an easy mistake
        (knowledge_dir / f"note-{i:03}.md").write_text(f"Plain notes number {i}.\n", encoding="utf-8")
    fake.push_update(private_text(ADMIN, "/reload"))
    [edit] = await fake.wait_for_call(
        "editMessageText", predicate=lambda c: c.params["chat_id"] == ADMIN_ID, timeout=WAIT
    )  # accepted or not, so the test fails fast
    assert edit.ok, edit.description
    assert edit.result["text"].startswith("Reload failed")
    assert "note-000.md" in edit.result["text"]
    assert fake.rejections == []

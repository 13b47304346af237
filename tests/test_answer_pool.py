"""The bot as deployed by default: questions answered in worker processes, end to end."""

from __future__ import annotations

import dataclasses
import gc
import logging
import multiprocessing
import os
import signal
import weakref

import pytest

from bot import answer_pool
from bot.answer_pool import Edition
from bot.app import build_application
from bot.settings import BUNDLED_SYNONYMS
from bot.texts import EXAMPLE_QUESTIONS
from retrieval.knowledge_base import rebuild
from tests.bot_helpers import WAIT, ZEPPELIN_QUESTION, ask_privately, in_chat, write_zeppelin_document
from tests.conftest import ADMIN_ID
from tests.fake_telegram import User, inline_query, private_text

WORKERS = 2
ADMIN = User("Ada", "ada_admin", id=ADMIN_ID)
QUESTION = "Why shouldn't the sanctions be lifted yet?"


@pytest.fixture
def bot_settings(bot_settings):
    """The shared settings, answering in processes as `policybot run` does by default."""
    return dataclasses.replace(bot_settings, answer_workers=WORKERS)


@pytest.fixture
def earlier_children() -> set[int]:
    """Child processes alive before the bot starts (asked for before `policybot`)."""
    return {child.pid for child in multiprocessing.active_children()}


def started_since(earlier: set[int]) -> list[multiprocessing.Process]:
    """Child processes started since `earlier` was taken and still alive."""
    return [child for child in multiprocessing.active_children() if child.pid not in earlier and child.is_alive()]


async def test_answers_come_from_the_worker_processes_and_match_the_knowledge_base(
    fake, kb, earlier_children, policybot
):
    assert len(started_since(earlier_children)) == WORKERS
    reply = await ask_privately(fake, User("Ann", "ann"), QUESTION)
    in_process = kb.ask(QUESTION)
    assert in_process.answered
    for quote in in_process.quotes:
        assert quote.text in reply["text"]
    assert fake.rejections == []


async def test_inline_queries_are_answered_by_the_workers(fake, policybot):
    pushed = fake.push_update(inline_query(User("Ivy", "ivy"), "sanctions relief"))
    [call] = await fake.wait_for_call("answerInlineQuery", timeout=WAIT)
    assert call.params["inline_query_id"] == pushed["inline_query"]["id"]
    assert call.ok and call.params["results"]


async def test_after_a_reload_the_workers_answer_from_the_new_knowledge_base(fake, knowledge_dir, policybot):
    write_zeppelin_document(knowledge_dir)
    before = await ask_privately(fake, User("Zed", "zed"), ZEPPELIN_QUESTION)
    assert "two thousand metres" not in before["text"]
    fake.push_update(private_text(ADMIN, "/reload"))
    await fake.wait_for_call("editMessageText", predicate=in_chat(ADMIN_ID), timeout=WAIT)
    # Several questions, so each worker is asked at least once.
    for n in range(2 * WORKERS):
        reply = await ask_privately(fake, User(f"Zed{n}", f"zed{n}"), ZEPPELIN_QUESTION)
        assert "two thousand metres" in reply["text"]


async def test_a_killed_worker_loses_no_question_and_is_replaced(fake, earlier_children, policybot, caplog):
    workers = started_since(earlier_children)
    assert len(workers) == WORKERS
    for worker in workers:
        os.kill(worker.pid, signal.SIGKILL)
    for worker in workers:
        worker.join(WAIT)
    with caplog.at_level(logging.ERROR, logger="bot.answer_pool"):
        first = await ask_privately(fake, User("Kim", "kim"), QUESTION)
    assert "Overcoming the Wrong Détente" in first["text"]
    assert any("answering process died" in r.getMessage() for r in caplog.records)

    second = await ask_privately(fake, User("Lee", "lee"), QUESTION)
    assert second["text"] == first["text"]
    replacements = started_since(earlier_children | {w.pid for w in workers})
    assert replacements, "new answering processes took over"


async def test_with_no_workers_answers_in_threads_are_the_same(bot_settings, kb):
    settings = dataclasses.replace(bot_settings, answer_workers=0)
    live = build_application(settings, kb).bot_data["services"].knowledge
    assert await live.ask(QUESTION) == kb.ask(QUESTION)


@pytest.fixture
def first_edition(knowledge_dir, tmp_path, monkeypatch) -> Edition:
    """A built knowledge base, for calling the worker's functions in this process; none open yet."""
    monkeypatch.setattr(answer_pool, "_opened", {})
    db = tmp_path / "kb.db"
    rebuild(knowledge_dir, db)
    return Edition(db, BUNDLED_SYNONYMS, generation=0)


def test_a_worker_answers_from_the_edition_in_service_while_the_next_one_warms_up(knowledge_dir, first_edition):
    # What a worker holds across a reload.
    in_service = first_edition
    db = in_service.db_path
    assert "two thousand metres" not in _quoted(answer_pool._call(in_service, "ask", (ZEPPELIN_QUESTION,), {}))
    old = weakref.ref(answer_pool._opened[in_service])
    old_vocabulary = weakref.ref(old().parser._vocabulary)  # part of a reference cycle
    memos = old().analyzer, old().passages

    write_zeppelin_document(knowledge_dir)
    rebuild(knowledge_dir, db)
    following = Edition(db, BUNDLED_SYNONYMS, generation=1)
    answer_pool._open(following)  # the warm-up before the swap
    assert list(answer_pool._opened) == [in_service, following]
    assert "two thousand metres" not in _quoted(answer_pool._call(in_service, "ask", (ZEPPELIN_QUESTION,), {}))
    assert answer_pool._opened[in_service] is old(), "the edition in service was not reopened"

    assert "two thousand metres" in _quoted(answer_pool._call(following, "ask", (ZEPPELIN_QUESTION,), {}))
    assert list(answer_pool._opened) == [following], "the edition out of service is closed"
    assert old() is None and old_vocabulary() is None, "and freed, cycles and all, though it was frozen"
    new = answer_pool._opened[following]
    assert (new.analyzer, new.passages) == memos, "memos carried over"


def _quoted(answer) -> str:
    return " ".join(quote.text for quote in answer.quotes)


def test_answering_leaves_no_cyclic_garbage_so_freezing_what_remains_loses_nothing(first_edition):
    # The worker freezes everything alive after each question (bot.answer_pool); that is
    # only safe while answering leaves no reference cycles behind for the collector.
    edition = first_edition
    questions = [*EXAMPLE_QUESTIONS, "securty levrage postion?", "weather in moscow today", "", "Minsk II"]
    answer_pool._call(edition, "ask", ("open it first",), {})  # a knowledge base is cyclic: it stays alive
    gc.unfreeze()
    gc.collect()
    try:
        for question in questions * 5:
            answer_pool._call(edition, "ask", (question,), {})
            answer_pool._call(edition, "ask_each", (question, 10), {})
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
    assert gc.collect() == 0

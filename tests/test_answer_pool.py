"""The bot as deployed by default: questions answered in worker processes, end to end."""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import logging
import multiprocessing
import os
import pickle
import signal
import weakref

import pytest

from bot import answer_pool
from bot.answer_pool import Edition
from bot.app import build_application
from bot.settings import BUNDLED_SYNONYMS
from bot.texts import EXAMPLE_QUESTIONS
from retrieval.knowledge_base import KnowledgeBase, rebuild
from tests.bot_helpers import (
    WAIT,
    ZEPPELIN_QUESTION,
    ask_privately,
    in_chat,
    running_policybot,
    write_zeppelin_document,
)
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


async def test_after_a_reload_new_workers_answer_from_the_new_knowledge_base_and_the_old_exit(
    fake, knowledge_dir, earlier_children, policybot
):
    old_workers = started_since(earlier_children)
    write_zeppelin_document(knowledge_dir)
    before = await ask_privately(fake, User("Zed", "zed"), ZEPPELIN_QUESTION)
    assert "two thousand metres" not in before["text"]
    fake.push_update(private_text(ADMIN, "/reload"))
    await fake.wait_for_call("editMessageText", predicate=in_chat(ADMIN_ID), timeout=WAIT)
    deadline = asyncio.get_running_loop().time() + WAIT
    while any(worker.is_alive() for worker in old_workers):
        assert asyncio.get_running_loop().time() < deadline, "the old answering processes exit after the reload"
        await asyncio.sleep(0.05)
    assert len(started_since(earlier_children | {w.pid for w in old_workers})) == WORKERS
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
    assert await live.ask(QUESTION) == kb.ask(QUESTION, top_k=0)


@pytest.fixture
def first_edition(knowledge_dir, tmp_path, monkeypatch) -> Edition:
    """A built knowledge base, for calling the worker's functions in this process; none open yet."""
    monkeypatch.setattr(answer_pool, "_opened", None)
    db = tmp_path / "kb.db"
    rebuild(knowledge_dir, db)
    return Edition(db, BUNDLED_SYNONYMS, generation=0)


def test_a_worker_asked_for_another_edition_frees_the_one_it_had(knowledge_dir, first_edition):
    # A reload starts new workers; an old one meets a new edition only after a crash mid-reload.
    assert "two thousand metres" not in _quoted(answer_pool._call(first_edition, "ask", (ZEPPELIN_QUESTION,), {}))
    old = weakref.ref(answer_pool._opened[1])
    old_vocabulary = weakref.ref(old().parser._vocabulary)  # part of a reference cycle
    write_zeppelin_document(knowledge_dir)
    rebuild(knowledge_dir, first_edition.db_path)
    following = dataclasses.replace(first_edition, generation=1)
    assert "two thousand metres" in _quoted(answer_pool._call(following, "ask", (ZEPPELIN_QUESTION,), {}))
    assert answer_pool._opened[0] == following
    assert old() is None and old_vocabulary() is None, "freed, cycles and all, though it was frozen"


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


async def test_the_pool_names_its_answering_processes(earlier_children, policybot):
    pids = policybot.bot_data["services"].knowledge.answers.pids
    assert sorted(pids) == sorted(child.pid for child in started_since(earlier_children))
    assert len(pids) == WORKERS


async def test_a_reload_whose_synonyms_do_not_load_keeps_the_old_workers_answering(
    fake, bot_settings, tmp_path, earlier_children
):
    # The bot's own process leaves the new synonyms to the new answering processes, which
    # load them before the swap: their error is the reload's, and they do not stay behind.
    synonyms = tmp_path / "synonyms.txt"
    synonyms.write_text(BUNDLED_SYNONYMS.read_text(encoding="utf-8"), encoding="utf-8")
    settings = dataclasses.replace(bot_settings, synonyms_path=synonyms)
    async with running_policybot(settings):
        old_workers = started_since(earlier_children)
        synonyms.write_text("russia\n", encoding="utf-8")  # a group of one
        fake.push_update(private_text(ADMIN, "/reload"))
        [edit] = await fake.wait_for_call("editMessageText", predicate=in_chat(ADMIN_ID), timeout=WAIT)
        assert edit.result["text"].startswith("Reload failed, still answering from the previous knowledge base")
        assert f"{synonyms}:1: a group needs at least two entries" in edit.result["text"]
        deadline = asyncio.get_running_loop().time() + WAIT
        while {c.pid for c in started_since(earlier_children)} != {w.pid for w in old_workers}:  # in any order
            assert asyncio.get_running_loop().time() < deadline, "the new answering processes exit"
            await asyncio.sleep(0.05)
        reply = await ask_privately(fake, User("Ann", "ann"), QUESTION)
        assert "Overcoming the Wrong Détente" in reply["text"]


async def test_with_answering_processes_the_bot_process_keeps_no_index(policybot):
    # Searching is the workers'; the bot's process looks passages up (sources, buttons) only.
    live = policybot.bot_data["services"].knowledge
    assert "parser" not in vars(live.current), "the index and synonyms were dropped after start-up"
    assert live.current.passage_hit(live.current.store.passages([0])[0].id) is not None


async def test_more_questions_than_the_workers_hold_wait_their_turn_and_are_all_answered(first_edition, caplog):
    local = KnowledgeBase.open(first_edition.db_path, BUNDLED_SYNONYMS)
    questions = [*EXAMPLE_QUESTIONS, QUESTION, "weather in moscow today"] * 4  # more than IN_FLIGHT per worker
    pool = answer_pool.AnswerPool(WORKERS)
    try:
        with caplog.at_level(logging.ERROR, logger="bot.answer_pool"):
            asked = asyncio.gather(*(pool.call(first_edition, local, "ask", q) for q in questions))
            answers = await asyncio.wait_for(asked, WAIT)
        assert len(pool.pids) == WORKERS
    finally:
        pool.shutdown()
    assert answers == [local.ask(q) for q in questions]
    assert not caplog.records, "every question was answered by the workers"


async def test_an_error_in_a_worker_reaches_the_caller(first_edition):
    local = KnowledgeBase.open(first_edition.db_path, BUNDLED_SYNONYMS)
    pool = answer_pool.AnswerPool(1)
    try:
        with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
            await pool.call(first_edition, local, "ask", QUESTION, colour="red")
        assert (await pool.call(first_edition, local, "ask", QUESTION)).answered  # the worker carries on
    finally:
        pool.shutdown()


class _Unpicklable(Exception):
    def __reduce__(self):
        raise TypeError("not this one")


def test_an_error_that_does_not_pickle_is_sent_as_text():
    number, succeeded, error = pickle.loads(answer_pool._failure(7, _Unpicklable("no pickling")))
    assert (number, succeeded) == (7, False)
    assert isinstance(error, RuntimeError) and str(error) == "_Unpicklable: no pickling"

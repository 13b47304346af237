"""Shared fixtures: the bundled knowledge base, and the real bot running against a fake Bot API server."""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import pytest

from bot.settings import BUNDLED_KNOWLEDGE, BUNDLED_SYNONYMS

# python-telegram-bot's coming timedelta form of retry_after, instead of a warning per 429.
os.environ.setdefault("PTB_TIMEDELTA", "true")
from retrieval.knowledge_base import KnowledgeBase, rebuild

pytest_plugins = ["pytester", "tests.leak_guard"]


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path_factory, monkeypatch):
    """Keep every test away from the user's real data directory and settings."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("HOME", str(home))
    for name in ("POLICYBOT_KNOWLEDGE_DIR", "POLICYBOT_DB", "POLICYBOT_SYNONYMS"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def bundled_db(tmp_path_factory) -> Path:
    """A store built from the bundled documents."""
    path = tmp_path_factory.mktemp("kb") / "knowledge.db"
    rebuild(BUNDLED_KNOWLEDGE, path)
    return path


@pytest.fixture(scope="session")
def kb(bundled_db) -> KnowledgeBase:
    """The knowledge base over the bundled documents and synonyms."""
    return KnowledgeBase.open(bundled_db, BUNDLED_SYNONYMS)


# --- the bot against a fake Bot API server -----------------------------------------------

ADMIN_ID = 4242


@pytest.fixture
async def fake():
    """A fake Telegram Bot API server on 127.0.0.1."""
    from tests import leak_guard
    from tests.fake_telegram import FakeTelegram

    async with FakeTelegram() as server:
        leak_guard.watch_token(server.token)
        yield server
        leak_guard.check_calls(server.calls)


@pytest.fixture
def knowledge_dir(tmp_path) -> Path:
    """A writable copy of the bundled documents, for tests that change them."""
    target = tmp_path / "documents"
    shutil.copytree(BUNDLED_KNOWLEDGE, target)
    return target


@pytest.fixture
def bot_settings(fake, knowledge_dir, tmp_path):
    """Settings for a bot that talks to the fake server, with one admin."""
    from bot.settings import Settings

    return Settings(
        knowledge_dir=knowledge_dir,
        db_path=tmp_path / "kb.db",
        token=fake.token,
        base_url=fake.base_url,
        base_file_url=fake.base_file_url,
        admins=frozenset({ADMIN_ID}),
        answer_workers=0,  # answers in threads: quick to start; tests/test_answer_pool.py runs the processes
    )


@pytest.fixture
async def policybot(bot_settings):
    """The real policybot `Application`, polling the fake server; stopped after the test."""
    from tests.bot_helpers import running_policybot

    async with running_policybot(bot_settings) as application:
        yield application


@pytest.fixture
async def error_log():
    """ERROR records logged during the test (any logger), awaitable."""
    from tests.bot_helpers import ErrorLog

    handler = ErrorLog()
    logging.getLogger().addHandler(handler)
    try:
        yield handler
    finally:
        logging.getLogger().removeHandler(handler)

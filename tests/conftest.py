"""Shared fixtures: the bundled knowledge base, built once per test session into a temp dir."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import BUNDLED_KNOWLEDGE, BUNDLED_SYNONYMS
from retrieval.knowledge_base import KnowledgeBase, rebuild


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

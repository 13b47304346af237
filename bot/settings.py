"""One settings object, filled from command-line flags or environment variables.

Every setting is declared once in `SETTINGS`; the CLI turns each declaration into a flag
that falls back to its environment variable, and a test checks the README documents it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path

import platformdirs

import knowledge

BUNDLED_KNOWLEDGE = Path(knowledge.__file__).parent / "documents"
BUNDLED_SYNONYMS = Path(knowledge.__file__).parent / "synonyms.txt"


def default_db_path() -> Path:
    """Where the store lives unless told otherwise: the user's data directory."""
    return platformdirs.user_data_path("policybot") / "knowledge.db"


@dataclass(frozen=True)
class Setting:
    """Declaration of one setting: its flag, environment variable and help text."""

    name: str
    flag: str
    env: str
    help: str


SETTINGS = (
    Setting(
        "knowledge_dir",
        "--knowledge",
        "POLICYBOT_KNOWLEDGE_DIR",
        "Folder of .md documents (default: the bundled ones).",
    ),
    Setting("db_path", "--db", "POLICYBOT_DB", "SQLite knowledge base file (default: in the user data directory)."),
    Setting(
        "synonyms_path",
        "--synonyms",
        "POLICYBOT_SYNONYMS",
        "Synonyms file for query expansion (default: the bundled one).",
    ),
)

SETTING_BY_NAME = {s.name: s for s in SETTINGS}


@dataclass(frozen=True)
class Settings:
    """Resolved configuration; build it with `Settings.from_values`, never at import time."""

    knowledge_dir: Path = field(default_factory=lambda: BUNDLED_KNOWLEDGE)
    db_path: Path = field(default_factory=default_db_path)
    synonyms_path: Path = field(default_factory=lambda: BUNDLED_SYNONYMS)

    @classmethod
    def from_values(cls, **values: object) -> Settings:
        """Settings from flag/environment values; None or empty means the default."""
        given = {}
        for f in fields(cls):
            value = values.get(f.name)
            if value in (None, ""):
                continue
            given[f.name] = Path(str(value)).expanduser() if f.name.endswith(("_dir", "_path")) else value
        return cls(**given)

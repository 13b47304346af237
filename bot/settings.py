"""One settings object, filled from command-line flags or environment variables.

Every setting is declared once in `SETTINGS`; the CLI turns each declaration into a flag
that falls back to its environment variable, and a test checks the README documents it.
Secrets (the bot token, the webhook secret) are kept out of `repr`, so logging a
`Settings` never leaks them.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path

import platformdirs

import knowledge

BUNDLED_KNOWLEDGE = Path(knowledge.__file__).parent / "documents"
BUNDLED_SYNONYMS = Path(knowledge.__file__).parent / "synonyms.txt"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
MAX_ANSWER_WORKERS = 32


class SettingsError(ValueError):
    """A setting with a value that cannot be used; names the variable and what is expected."""


def default_db_path() -> Path:
    """Where the store lives unless told otherwise: the user's data directory."""
    return platformdirs.user_data_path("policybot") / "knowledge.db"


def _path(value: str) -> Path:
    return Path(value).expanduser()


def _admins(value: str) -> frozenset[int]:
    ids = [part.strip() for part in value.split(",") if part.strip()]
    if not all(part.lstrip("-").isdigit() for part in ids):
        raise ValueError("comma-separated numeric Telegram user ids, e.g. 12345,67890")
    return frozenset(int(part) for part in ids)


def _port(value: str) -> int:
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise ValueError("a TCP port number between 1 and 65535")
    return int(value)


def _workers(value: str) -> int:
    if not value.isdigit() or int(value) > MAX_ANSWER_WORKERS:
        raise ValueError(f"a number of processes from 0 (answer in the bot's own process) to {MAX_ANSWER_WORKERS}")
    return int(value)


def default_answer_workers() -> int:
    """One answering process per core: retrieval is CPU work."""
    return min(os.cpu_count() or 1, MAX_ANSWER_WORKERS)


def _log_level(value: str) -> str:
    if value.upper() not in LOG_LEVELS:
        raise ValueError(f"one of {', '.join(LOG_LEVELS)}")
    return value.upper()


@dataclass(frozen=True)
class Setting:
    """Declaration of one setting: its flag, environment variable, help text and parser."""

    name: str
    flag: str
    env: str
    help: str
    parse: Callable[[str], object] = str


SETTINGS = (
    Setting("knowledge_dir", "--knowledge", "POLICYBOT_KNOWLEDGE_DIR", "Folder of .md documents.", _path),
    Setting("db_path", "--db", "POLICYBOT_DB", "SQLite knowledge base file.", _path),
    Setting("synonyms_path", "--synonyms", "POLICYBOT_SYNONYMS", "Synonyms file for query expansion.", _path),
    Setting("token", "--token", "TELEGRAM_BOT_TOKEN", "Bot token from @BotFather (required for `run`)."),
    Setting("base_url", "--base-url", "TELEGRAM_BASE_URL", "Bot API base URL, e.g. http://127.0.0.1:8081/bot."),
    Setting("base_file_url", "--base-file-url", "TELEGRAM_BASE_FILE_URL", "Bot API file base URL."),
    Setting("admins", "--admins", "POLICYBOT_ADMINS", "Comma-separated user ids allowed to /reload.", _admins),
    Setting("webhook_url", "--webhook-url", "POLICYBOT_WEBHOOK_URL", "Public HTTPS URL: use a webhook, not polling."),
    Setting("listen", "--listen", "POLICYBOT_LISTEN", "Address the webhook server binds."),
    Setting("port", "--port", "POLICYBOT_PORT", "Port the webhook server binds.", _port),
    Setting("secret_token", "--secret-token", "POLICYBOT_WEBHOOK_SECRET", "Webhook secret Telegram must send."),
    Setting(
        "answer_workers",
        "--answer-workers",
        "POLICYBOT_ANSWER_WORKERS",
        "Processes that answer questions (default: one per core; 0: in the bot's own process).",
        _workers,
    ),
    Setting("log_level", "--log-level", "POLICYBOT_LOG_LEVEL", "DEBUG, INFO, WARNING or ERROR.", _log_level),
)

SETTING_BY_NAME = {s.name: s for s in SETTINGS}


@dataclass(frozen=True)
class Settings:
    """Resolved configuration; build it with `Settings.from_values`, never at import time."""

    knowledge_dir: Path = field(default_factory=lambda: BUNDLED_KNOWLEDGE)
    db_path: Path = field(default_factory=default_db_path)
    synonyms_path: Path = field(default_factory=lambda: BUNDLED_SYNONYMS)
    token: str | None = field(default=None, repr=False)
    base_url: str | None = None
    base_file_url: str | None = None
    admins: frozenset[int] = frozenset()
    webhook_url: str | None = None
    listen: str = "127.0.0.1"
    port: int = 8443
    secret_token: str | None = field(default=None, repr=False)
    answer_workers: int = field(default_factory=default_answer_workers)
    log_level: str = "INFO"

    @classmethod
    def from_values(cls, **values: object) -> Settings:
        """Settings from flag/environment values; None or empty means the default."""
        given = {}
        for f in fields(cls):
            value = values.get(f.name)
            if value in (None, ""):
                continue
            setting = SETTING_BY_NAME[f.name]
            try:
                given[f.name] = setting.parse(str(value))
            except ValueError as exc:
                raise SettingsError(f"{setting.env} / {setting.flag}: expected {exc}, got {value!r}") from None
        return cls(**given)

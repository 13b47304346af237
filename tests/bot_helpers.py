"""Helpers shared by the end-to-end bot tests (tests/test_bot_*.py), which run the real bot against FakeTelegram."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from telegram.ext import Application

from bot.app import ALLOWED_UPDATES, build_application
from bot.settings import Settings
from retrieval.knowledge_base import open_current
from tests.fake_telegram import Call, User, callback_query, private_text

BOT_USERNAME = "policybot_test_bot"
WAIT = 10.0  # seconds any single wait may take; a working bot answers in milliseconds
POLL_TIMEOUT = 1.0  # seconds the bot's long poll waits, so it stops quickly after a test

# Asks a question in its own private chat to show that the bot has caught up with earlier updates.
SENTINEL = User("Sentinel", "sentinel_user")
SENTINEL_QUESTION = "What is the Minsk II agreement?"


@contextlib.asynccontextmanager
async def running_policybot(settings: Settings) -> AsyncIterator[Application]:
    """The real policybot `Application`, polling the fake server named in `settings`, until the block ends."""
    kb, _ = open_current(settings.knowledge_dir, settings.db_path, settings.synonyms_path)
    application = build_application(settings, kb)
    await application.initialize()
    await application.post_init(application)
    await application.start()
    await application.updater.start_polling(timeout=dt.timedelta(seconds=POLL_TIMEOUT), allowed_updates=ALLOWED_UPDATES)
    try:
        yield application
    finally:
        asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)
        await application.updater.stop()
        await application.stop()
        await application.shutdown()
        await application.post_shutdown(application)


class ErrorLog(logging.Handler):
    """Collects ERROR records; `wait_for` awaits one whose message contains a text."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []
        self._loop = asyncio.get_running_loop()
        self._changed = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self._loop.call_soon_threadsafe(self._changed.set)  # records may come from worker threads

    def messages(self) -> list[str]:
        return [record.getMessage() for record in self.records]

    async def wait_for(self, text: str, timeout: float = WAIT) -> logging.LogRecord:
        async with asyncio.timeout(timeout):
            while True:
                found = [record for record in self.records if text in record.getMessage()]
                if found:
                    return found[0]
                self._changed.clear()
                await self._changed.wait()


def in_chat(chat_id: int):
    """A predicate for `wait_for_call`: an accepted call aimed at `chat_id`."""
    return lambda call: call.params.get("chat_id") == chat_id and call.ok


async def sent_to(fake, chat_id: int, method: str = "sendMessage", count: int = 1) -> list[Call]:
    """The first `count` accepted `method` calls aimed at `chat_id`, waiting for them if need be."""
    calls = await fake.wait_for_call(method, count=count, predicate=in_chat(chat_id), timeout=WAIT)
    return calls[:count]


async def reply_to(fake, update: dict[str, Any]) -> dict:
    """Push `update` (a message) and return the bot's first message in that chat (the sendMessage result)."""
    pushed = fake.push_update(update)
    kind = next(key for key in pushed if key != "update_id")
    [call] = await sent_to(fake, pushed[kind]["chat"]["id"])
    return call.result


async def ask_privately(fake, user: User, text: str) -> dict:
    """Send `text` to the bot in `user`'s private chat and return the bot's reply."""
    return await reply_to(fake, private_text(user, text))


def calls_to(fake, chat_id: int) -> list[Call]:
    """Every call the bot made that names `chat_id` (sends, edits, chat actions), accepted or not."""
    return [call for call in fake.calls if call.params.get("chat_id") == chat_id]


async def settle(fake) -> None:
    """Return once the bot has answered a private question pushed now, and a little longer.

    Updates are handled concurrently, so the sentinel may be answered before an update pushed
    earlier; the pause gives that one time to show what it does.
    """
    sentinel = fake.push_update(private_text(SENTINEL, SENTINEL_QUESTION))
    await sent_to(fake, sentinel["message"]["chat"]["id"])
    await asyncio.sleep(0.3)


async def assert_silent_in(fake, chat_id: int) -> None:
    """Assert the bot sent nothing to `chat_id`, once a later private question has been answered."""
    await settle(fake)
    assert calls_to(fake, chat_id) == []


def errors_logged(caplog) -> list[str]:
    """What was logged at ERROR or above: the bot's error handler (an update crashed it) or PTB's own."""
    return [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]


async def press(fake, user: User, message: dict, data: str) -> Call:
    """Press the button with callback `data` under the bot's `message`; return the answerCallbackQuery call."""
    pushed = fake.push_update(callback_query(user, message, data))
    query_id = pushed["callback_query"]["id"]
    [call] = await fake.wait_for_call(
        "answerCallbackQuery", predicate=lambda c: c.params.get("callback_query_id") == query_id, timeout=WAIT
    )
    return call


def buttons(message: dict) -> list[dict]:
    """The inline keyboard buttons of `message`, row by row."""
    return [button for row in message.get("reply_markup", {}).get("inline_keyboard", []) for button in row]


def button_data(message: dict, text: str) -> str:
    """The callback_data of the button labelled `text`."""
    [data] = [button["callback_data"] for button in buttons(message) if button["text"] == text]
    return data


def entity_texts(message: dict, kind: str) -> list[str]:
    """The text covered by each entity of type `kind` (offsets are in UTF-16 code units)."""
    encoded = message["text"].encode("utf-16-le", "surrogatepass")
    return [
        encoded[2 * e["offset"] : 2 * (e["offset"] + e["length"])].decode("utf-16-le", "surrogatepass")
        for e in message.get("entities", [])
        if e["type"] == kind
    ]


def write_document(folder: Path, name: str, front_matter: str, body: str) -> Path:
    """Write `name` into the knowledge folder: YAML `front_matter` lines between --- fences, then `body`."""
    path = folder / name
    path.write_text(f"---\n{front_matter.strip()}\n---\n\n{body.strip()}\n", encoding="utf-8")
    return path


# A document no other one answers for: questions about zeppelins are declined until it is loaded.
ZEPPELIN_QUESTION = "How high do zeppelins fly?"


def write_zeppelin_document(folder: Path) -> Path:
    return write_document(
        folder,
        "zeppelins.md",
        "title: Airship Doctrine",
        "## Altitude\n\nZeppelins fly at a cruising altitude of about two thousand metres over the plains. "
        "Pilots of the zeppelins keep to that height in good weather.",
    )


# A huge document: every paragraph is one long sentence (so it cannot be split into passages or
# quotes), full of characters that grow when escaped (&) or count twice in UTF-16 (emoji).
HUGE_QUESTION = "zeppelin fleet"


def write_huge_document(folder: Path) -> Path:
    sentence = " ".join(f"the zeppelin fleet & crew 🚀 number {i} keep flying" for i in range(120))
    paragraphs = [f"Paragraph {n}: {sentence} without end" for n in range(4)]
    return write_document(folder, "huge.md", "title: The Huge Fleet", "## Fleet\n\n" + "\n\n".join(paragraphs))

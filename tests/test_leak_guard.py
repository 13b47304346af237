"""The session-wide token guard (tests/leak_guard.py) really fails a test that leaks, and only such a test.

A pytest run in a subprocess plants a fake server's token each way the guard watches. The
token is one this session's guard does not know, so the inner run's output it prints is no leak here.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).parent.parent

PLANTED = """
import logging
import sys
import urllib.parse

import pytest
import telegram

from tests import leak_guard
from tests.fake_telegram import FakeTelegram

TOKEN = "987654321:AAPlantedTokenForTheGuardsOwnTest-42"
SECRET = TOKEN.split(":", 1)[1]
leak_guard.watch_token(TOKEN)


def test_clean():
    logging.getLogger("bot.app").info("policybot is up")


def test_full_token_in_a_log_line_is_redacted_as_in_production():
    logging.getLogger("bot.app").error("token %s", TOKEN)


def test_url_line_of_the_http_client_is_silenced_as_in_production():
    logging.getLogger("httpx").info("HTTP Request: POST http://127.0.0.1/bot%s/getMe", TOKEN)


def test_leak_secret_part_logged():
    logging.getLogger("bot.admin").debug("secret %s", SECRET)


def test_leak_percent_encoded_token_logged():
    logging.getLogger("telegram.ext").warning("GET /bot%s/getMe", urllib.parse.quote(TOKEN, safe=""))


def test_leak_secret_in_a_traceback():
    try:
        raise RuntimeError(f"bad key {SECRET}")
    except RuntimeError:
        logging.getLogger("bot.errors").exception("failed")


def test_leak_printed_to_stdout():
    print(TOKEN)


def test_leak_written_to_stderr():
    sys.stderr.write(f"token={TOKEN}\\n")


@pytest.mark.asyncio
async def test_leak_sent_to_the_fake_server():
    async with FakeTelegram(token=TOKEN) as fake:
        async with telegram.Bot(fake.token, base_url=fake.base_url) as bot:
            with pytest.raises(telegram.error.TelegramError):
                await bot.send_message(chat_id=1, text=f"my token is {fake.token}")
        leak_guard.check_calls(fake.calls)
"""


def test_the_guard_fails_each_leaking_test_and_passes_the_others(pytester, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    pytester.makepyfile(test_planted=PLANTED)
    result = pytester.runpytest_subprocess("-p", "tests.leak_guard", "-p", "no:cacheprovider", "-rf")
    leaking = [name for name in PLANTED.split() if name.startswith("test_leak_")]
    assert len(leaking) == 6
    assert result.parseoutcomes() == {"passed": 3, "failed": len(leaking)}
    failed = {line.split("::")[1].split()[0] for line in result.outlines if line.startswith("FAILED")}
    assert failed == {name.removesuffix("():") for name in leaking}
    assert result.outlines.count("the bot token leaked:") == len(leaking)  # each failure says why

import logging
import sys

from bot.logs import REDACTED, RedactingFormatter

TOKEN = "123456:ABC-secret-token"


def record(message: str, *args, exc_info=None) -> logging.LogRecord:
    return logging.LogRecord("httpx", logging.INFO, __file__, 1, message, args, exc_info)


def test_secrets_are_redacted_from_messages_and_arguments():
    formatter = RedactingFormatter([TOKEN])
    line = formatter.format(record("HTTP Request: POST %s", f"https://api.telegram.org/bot{TOKEN}/getMe"))
    assert TOKEN not in line
    assert f"/bot{REDACTED}/getMe" in line


def test_secrets_are_redacted_from_tracebacks():
    try:
        raise RuntimeError(f"The token `{TOKEN}` was rejected by the server.")
    except RuntimeError:
        line = RedactingFormatter([TOKEN]).format(record("failed", exc_info=sys.exc_info()))
    assert "RuntimeError" in line
    assert TOKEN not in line


def test_empty_secrets_change_nothing():
    assert RedactingFormatter(["", None]).format(record("plain")).endswith("plain")

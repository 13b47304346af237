"""Logging for the bot process, with secrets redacted from every line.

The bot token is part of every Bot API URL, and httpx logs request URLs at INFO; some
errors quote it too. The formatter removes secrets from the finished line, tracebacks
included, and httpx's request lines are silenced below WARNING.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable

REDACTED = "[redacted]"
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Loggers that put request URLs, and so the token, in their INFO and DEBUG lines.
URL_LOGGERS = ("httpx", "httpcore")


class RedactingFormatter(logging.Formatter):
    """A formatter that replaces each secret with [redacted] in the formatted record."""

    def __init__(self, secrets: Iterable[str], fmt: str = FORMAT) -> None:
        super().__init__(fmt)
        self._secrets = [s for s in secrets if s]

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record), self._secrets)


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret replaced."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return text


def configure_logging(level: str, secrets: Iterable[str]) -> None:
    """Send logs to stderr through the redacting formatter."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    quiet_url_loggers()


def quiet_url_loggers() -> None:
    """Keep the HTTP client's request lines (which hold the token in their URLs) out of the logs."""
    for name in URL_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)

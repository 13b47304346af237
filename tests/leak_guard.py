"""A pytest plugin that fails any test whose bot leaked a fake server's token.

It looks at everything the bots under test logged, every logger at DEBUG, as `policybot run`
would print it (`bot.logs`: its level rule for the HTTP client and its redacting formatter,
fed the full token as `run` feeds it); everything they sent to a fake Bot API server (request
parameters; the URL path is where the token belongs); and each test's captured stdout and
stderr, where `policybot run` subprocesses' logs are added too. What is searched for is the
token's secret part (after the colon), so a token the redaction misses (percent-encoded,
cut, or the secret alone) is caught. A leak fails the phase of the test it happened in.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable

import pytest

from bot.logs import RedactingFormatter, quiet_url_loggers
from tests.fake_telegram import DEFAULT_TOKEN

_tokens: set[str] = set()
_secrets: set[str] = set()
_leaks: list[str] = []


def watch_token(token: str) -> None:
    """Search for `token` from now on (every fake server's token is registered)."""
    _tokens.add(token)
    _secrets.add(token.split(":", 1)[-1])


def check_text(where: str, text: str) -> None:
    """Record a leak if `text`, seen at `where`, holds a watched token."""
    for secret in _secrets:
        if secret and secret in text:
            at = text.index(secret)
            _leaks.append(f"{where}: ...{text[max(0, at - 60) : at + len(secret) + 20]!r}...")


def check_calls(calls: Iterable) -> None:
    """Check every request a fake server received (its parameters, which the bot chose)."""
    for call in calls:
        check_text(f"sent to the fake server ({call.method})", json.dumps(call.params, default=str))


def take_leaks() -> list[str]:
    """The leaks recorded since the last call, cleared."""
    found = _leaks[:]
    _leaks.clear()
    return found


class _LogWatcher(logging.Handler):
    """Checks every record, traceback included, as the production formatter would print it."""

    def emit(self, record: logging.LogRecord) -> None:
        check_text(f"logged by {record.name}", RedactingFormatter(_tokens).format(record))


_watcher = _LogWatcher(logging.DEBUG)


def pytest_configure(config: pytest.Config) -> None:
    watch_token(DEFAULT_TOKEN)
    root = logging.getLogger()
    root.addHandler(_watcher)
    root.setLevel(logging.DEBUG)
    quiet_url_loggers()


def pytest_unconfigure(config: pytest.Config) -> None:
    logging.getLogger().removeHandler(_watcher)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    for title, content in report.sections:
        # "Captured log" is pytest's unformatted copy of the records the watcher already checked.
        if title.endswith(f" {call.when}") and not title.startswith("Captured log"):
            check_text(title, content)
    if leaks := take_leaks():
        report.outcome = "failed"
        report.longrepr = "the bot token leaked:\n  " + "\n  ".join(leaks)
    return report

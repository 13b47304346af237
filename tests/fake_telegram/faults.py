"""The faults a test can inject into ``FakeTelegram``, and what each one means for the request.

Whether a failed request was *applied* is what decides if a client may safely resend it, so
every fault states it:

- ``Fault.error(status)`` (429 with ``retry_after``, 500, 502, any status): Telegram answered
  with an error before doing anything, so the request was **not applied**.
- ``Fault.dropped()``: the server closes the socket without answering. The fake treats it as
  **not applied** (what a proxy or a closing keep-alive connection does); on the real service
  it is ambiguous, which is why the bot resends only after errors like this one and never after
  a read timeout.
- ``Fault.slow(delay)``: the request **is applied** (the message is delivered, the inline answer
  recorded, the updates handed out) and only the answer is held back for ``delay`` seconds, so a
  client with a shorter timeout gives up on a request that did take effect. That is the honest
  model of a slow Telegram: resending would post a duplicate.
"""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus

__all__ = ["DropConnection", "Fault"]


class DropConnection(Exception):
    """Raised by a hook to make the fake close the connection without an answer."""


@dataclass(frozen=True)
class Fault:
    """One way a Bot API call fails; build it with :meth:`error`, :meth:`flood`, :meth:`dropped` or :meth:`slow`.

    ``name`` is what :attr:`Call.fault` records for a call that was struck.
    """

    name: str
    status: int | None = None
    description: str = ""
    retry_after: int | None = None
    delay: float = 0.0

    @classmethod
    def error(cls, status: int, description: str | None = None, retry_after: int | None = None) -> Fault:
        """Telegram's error envelope with ``status`` (and ``parameters.retry_after`` when given)."""
        if description is None and status == 429:
            description = f"Too Many Requests: retry after {retry_after}"
        elif description is None:
            description = HTTPStatus(status).phrase
        return cls(str(status), status, description, retry_after)

    @classmethod
    def flood(cls, retry_after: int) -> Fault:
        """Flood control: 429 asking the client to wait ``retry_after`` seconds."""
        return cls.error(429, retry_after=retry_after)

    @classmethod
    def dropped(cls) -> Fault:
        """The connection is closed without an answer; the call is not applied."""
        return cls("dropped")

    @classmethod
    def slow(cls, delay: float) -> Fault:
        """The call is applied and its answer sent ``delay`` seconds late, if the client still waits."""
        return cls("slow", delay=delay)

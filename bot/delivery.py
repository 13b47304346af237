"""How every Bot API request (except getUpdates) is paced and retried: the one place for it.

Telegram's limits (Bots FAQ): one message per second in a chat, 20 per minute in a group,
about 30 per second overall; a 429 carries ``retry_after``. python-telegram-bot's
``AIORateLimiter`` paces the group and overall limits and waits out 429s; it has no per-chat
pace and retries nothing else. ``DeliveryPolicy`` wraps it and adds both:

- **Per-chat pace**: a chat's messages go one at a time, each sent at least ``CHAT_INTERVAL``
  after the previous one *finished*, so network jitter cannot squeeze two into one second.
- **Retries of failures that did not take effect**: 5xx answers, refused or dropped
  connections, connect and pool timeouts, after ``RETRY_DELAYS``. A read or write timeout is
  never retried: Telegram may have applied the request, and a resend would post the answer
  twice. Nor is a 400, which would fail the same way again.

``AIORateLimiter`` limits are leaky buckets (``max_rate`` at once, then ``max_rate/time_period``
per second), which let through twice the rate in the first window; they are sized here so that
any window of Telegram's length holds at most burst + rate × window messages, under the limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

import aiohttp
from telegram.error import BadRequest, NetworkError, TimedOut
from telegram.ext import AIORateLimiter, BaseRateLimiter

logger = logging.getLogger(__name__)

# Seconds between two messages to one chat (Telegram: one per second).
CHAT_INTERVAL = 1.0
# Overall: 25/s, one at a time: any second holds at most 26 of Telegram's 30, spare for jitter.
OVERALL_RATE = 25.0
OVERALL_BURST = 1
# Per group: 8 at once, then 10/min: any minute holds at most 18 of Telegram's 20.
GROUP_RATE = 10 / 60
GROUP_BURST = 8
# Waits (seconds) before each retry of a request that failed without effect: 3 retries, 3.5 s in all.
RETRY_DELAYS = (0.5, 1.0, 2.0)
# Retries after a 429, each after the retry_after Telegram asked for.
RATE_LIMIT_RETRIES = 3
# Methods that post a message, and so count against the chat's pace.
MESSAGE_METHODS = frozenset({"sendMessage"})
# Chats remembered for pacing before idle ones are forgotten.
PACED_CHATS = 1024


def rate_limiter() -> AIORateLimiter:
    """PTB's limiter, sized to stay under Telegram's windows (see the module docstring)."""
    return AIORateLimiter(
        overall_max_rate=OVERALL_BURST,
        overall_time_period=OVERALL_BURST / OVERALL_RATE,
        group_max_rate=GROUP_BURST,
        group_time_period=GROUP_BURST / GROUP_RATE,
        max_retries=RATE_LIMIT_RETRIES,
    )


def took_no_effect(error: Exception) -> bool:
    """Whether a failed request certainly was not applied, so sending it again cannot duplicate it."""
    if isinstance(error, TimedOut):
        # Timed out waiting for a connection (pool or connect): nothing was sent (bot/transport.py).
        return isinstance(error.__cause__, aiohttp.ConnectionTimeoutError)
    return isinstance(error, NetworkError) and not isinstance(error, BadRequest)


class ChatPace:
    """One message at a time per chat, ``interval`` seconds after the previous one ended."""

    def __init__(self, interval: float = CHAT_INTERVAL) -> None:
        self._interval = interval
        self._chats: dict[Any, tuple[asyncio.Lock, float]] = {}

    @contextlib.asynccontextmanager
    async def turn(self, chat_id: Any):
        """Hold the chat's turn for one request."""
        if chat_id is None:
            yield
            return
        loop = asyncio.get_running_loop()
        if len(self._chats) > PACED_CHATS:
            self._forget_idle(loop.time())
        lock, _ = self._chats.setdefault(chat_id, (asyncio.Lock(), 0.0))
        async with lock:
            _, last = self._chats[chat_id]
            await asyncio.sleep(last + self._interval - loop.time())
            try:
                yield
            finally:
                self._chats[chat_id] = (lock, loop.time())

    def _forget_idle(self, now: float) -> None:
        for chat_id, (lock, last) in list(self._chats.items()):
            if not lock.locked() and now - last > self._interval:
                del self._chats[chat_id]


class DeliveryPolicy(BaseRateLimiter):
    """``AIORateLimiter`` plus a per-chat pace and bounded retries of failures that took no effect."""

    def __init__(self, limiter: AIORateLimiter | None = None, pace: ChatPace | None = None) -> None:
        self._limiter = limiter or rate_limiter()
        self._pace = pace or ChatPace()

    async def initialize(self) -> None:
        await self._limiter.initialize()

    async def shutdown(self) -> None:
        await self._limiter.shutdown()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """Send the request through the pace and the limiter; retry it while it fails without effect."""
        paced = data.get("chat_id") if endpoint in MESSAGE_METHODS else None
        for attempt, delay in enumerate(RETRY_DELAYS, start=1):
            try:
                return await self._send(paced, callback, args, kwargs, endpoint, data, rate_limit_args)
            except NetworkError as error:
                if not took_no_effect(error):
                    raise
                logger.warning(
                    "%s to chat %s failed without effect (%s); retry %d of %d in %.1fs",
                    *(endpoint, data.get("chat_id"), error, attempt, len(RETRY_DELAYS), delay),
                )
                await asyncio.sleep(delay)
        return await self._send(paced, callback, args, kwargs, endpoint, data, rate_limit_args)

    async def _send(self, paced: Any, *request: Any) -> bool | dict[str, Any] | list[dict[str, Any]]:
        async with self._pace.turn(paced):
            return await self._limiter.process_request(*request)

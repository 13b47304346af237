"""Updates of one chat are handled one at a time, in the order Telegram sent them.

With plain concurrent updates, two questions asked in a row race through retrieval and the
second answer can arrive first. Here each chat waits its turn (an ``asyncio.Lock`` is FIFO), and
only then takes one of ``limit`` handling slots, so a chat with many queued questions holds one
slot, not all of them. Updates without a chat (inline queries) just take a slot.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

# PTB's own semaphore only bounds the updates waiting here; the real bound is ``limit``.
MAX_WAITING_UPDATES = 1_000_000


class ChatOrderedProcessor(BaseUpdateProcessor):
    """Up to ``limit`` updates at once, never two of the same chat."""

    def __init__(self, limit: int) -> None:
        super().__init__(MAX_WAITING_UPDATES)
        self._slots = asyncio.Semaphore(limit)
        self._turns: dict[int, tuple[asyncio.Lock, int]] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        async with self._turn(None if chat is None else chat.id), self._slots:
            await coroutine

    @contextlib.asynccontextmanager
    async def _turn(self, chat_id: int | None):
        """Wait for the chat's earlier updates; forget the chat once nobody waits for it."""
        if chat_id is None:
            yield
            return
        lock, users = self._turns.get(chat_id, (asyncio.Lock(), 0))
        self._turns[chat_id] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._turns[chat_id]
            if users == 1:
                del self._turns[chat_id]
            else:
                self._turns[chat_id] = (lock, users - 1)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

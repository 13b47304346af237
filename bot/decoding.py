"""Decoding what the Bot API sends: updates one at a time, and sent messages only when read.

python-telegram-bot decodes a whole getUpdates batch at once; one update it cannot read (a
field Telegram added, or one a server omits that the library requires) raises for the batch,
the offset is never confirmed and polling fetches the same batch forever, so every question
behind it is lost. Here each update is decoded on its own and an undecodable one is kept as a
bare ``Update(update_id)``: the offset moves past it (a webhook answers 200, so Telegram does
not redeliver it), nothing handles it, and a warning says which update and what the library
objected to.

Every `sendMessage` also returns the message sent, which the library decodes into a
`Message` (its entities, its keyboard): ~0.3 ms of CPU per answer, about a tenth of the bot
process's work per answer. The answer path never reads it, so inside `results_unread()`
the raw result is dropped and the call returns True, as the Bot API does for methods
without a result.
"""

from __future__ import annotations

import datetime as dtm
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from telegram import Update
from telegram._utils.defaultvalue import DEFAULT_NONE, DefaultValue
from telegram._utils.types import JSONDict, ODVInput, TimePeriod
from telegram.ext import ExtBot

logger = logging.getLogger(__name__)


# Set while a handler sends messages whose results it does not read.
_RESULTS_UNREAD: ContextVar[bool] = ContextVar("results_unread", default=False)


@contextmanager
def results_unread() -> Iterator[None]:
    """Within this block (and this task), sent messages are not decoded: send calls return True."""
    token = _RESULTS_UNREAD.set(True)
    try:
        yield
    finally:
        _RESULTS_UNREAD.reset(token)


class TelegramClient(ExtBot):
    """ExtBot whose get_updates decodes update by update, and that skips decoding unread results."""

    async def _post(self, endpoint: str, data: JSONDict | None = None, **kwargs: Any) -> Any:
        result = await super()._post(endpoint, data, **kwargs)
        return True if _RESULTS_UNREAD.get() and endpoint == "sendMessage" else result

    async def get_updates(
        self,
        offset: int | None = None,
        limit: int | None = None,
        timeout: TimePeriod | None = None,
        allowed_updates: Sequence[str] | None = None,
        *,
        read_timeout: ODVInput[float] = DEFAULT_NONE,
        write_timeout: ODVInput[float] = DEFAULT_NONE,
        connect_timeout: ODVInput[float] = DEFAULT_NONE,
        pool_timeout: ODVInput[float] = DEFAULT_NONE,
        api_kwargs: JSONDict | None = None,
    ) -> tuple[Update, ...]:
        data: JSONDict = {"timeout": timeout, "offset": offset, "limit": limit, "allowed_updates": allowed_updates}
        # As the library does: the long-poll wait is added to the read timeout.
        base = self._request[0].read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        wait = timeout.total_seconds() if isinstance(timeout, dtm.timedelta) else timeout or 0
        raw = await self._post(
            "getUpdates",
            data,
            read_timeout=(base or 0) + wait,
            write_timeout=write_timeout,
            connect_timeout=connect_timeout,
            pool_timeout=pool_timeout,
            api_kwargs=api_kwargs,
        )
        updates = tuple(decode_update(entry, self) for entry in raw)
        for update in updates:
            self.insert_callback_data(update)
        return updates


def decode_update(entry: dict[str, Any], bot: ExtBot) -> Update:
    """``entry`` (JSON with an ``update_id``) as an Update, or a bare one if the library cannot read it."""
    try:
        return Update.de_json(entry, bot)
    except Exception as exc:  # whatever the library raises, this update is skipped, not the batch
        kinds = sorted(key for key in entry if key != "update_id")
        logger.warning(
            "Skipped update %s (%s): python-telegram-bot cannot decode it: %s",
            entry["update_id"],
            ", ".join(kinds) or "empty",
            exc,
        )
        return Update(update_id=entry["update_id"])

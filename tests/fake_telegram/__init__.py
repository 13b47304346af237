"""A fake Telegram Bot API server on loopback for policybot's tests (see ``server`` for the why).

Typical use::

    async with FakeTelegram() as fake:
        app = ApplicationBuilder().token(fake.token).base_url(fake.base_url).base_file_url(fake.base_file_url).build()
        fake.push_update(group_text(Chat.supergroup(), User("Alice", "alice"), "/ask@policybot_test_bot hi"))
        [reply] = await fake.wait_for_call("sendMessage")
"""

from .faults import Fault
from .html_parser import STRICT_NOTE, HtmlParseError, parse_html, utf16_len
from .limits import FLOOD_LIMITS, FloodLimit, Violation
from .server import DEFAULT_TOKEN, ApiError, Call, FakeTelegram, Hook
from .updates import (
    CHANNEL_BOT,
    GROUP_ANONYMOUS_BOT,
    MEDIA_KINDS,
    OLD_POLL,
    Chat,
    User,
    callback_query,
    channel_message,
    channel_post,
    edited_message,
    forwarded_from,
    group_message,
    group_text,
    inline_query,
    media_content,
    private_message,
    private_text,
    text_content,
    text_entities,
    without,
)

__all__ = [
    "CHANNEL_BOT",
    "DEFAULT_TOKEN",
    "FLOOD_LIMITS",
    "GROUP_ANONYMOUS_BOT",
    "MEDIA_KINDS",
    "OLD_POLL",
    "STRICT_NOTE",
    "ApiError",
    "Call",
    "Chat",
    "FakeTelegram",
    "Fault",
    "FloodLimit",
    "Hook",
    "HtmlParseError",
    "User",
    "Violation",
    "callback_query",
    "channel_message",
    "channel_post",
    "edited_message",
    "forwarded_from",
    "group_message",
    "group_text",
    "inline_query",
    "media_content",
    "parse_html",
    "private_message",
    "private_text",
    "text_content",
    "text_entities",
    "utf16_len",
    "without",
]

"""Builders for the update dicts that tests push into ``FakeTelegram``.

They produce the JSON Telegram would send (``from``, ``chat``, ``date``, ``text``, entities with
UTF-16 offsets, ``sender_chat`` for anonymous admins and channel posts, ``via_bot``,
``forward_origin``), so the bot parses updates exactly as in production. ``message_id`` and
``update_id`` are left out on purpose: ``FakeTelegram.push_update`` assigns them from the same
per-chat counters the bot's own messages use, which keeps replies and edits consistent.
"""

import itertools
import re
import time
from collections.abc import Mapping
from dataclasses import KW_ONLY, dataclass, field
from typing import Any

from .html_parser import utf16_len

__all__ = [
    "CHANNEL_BOT",
    "GROUP_ANONYMOUS_BOT",
    "MEDIA_KINDS",
    "Chat",
    "User",
    "as_dict",
    "callback_query",
    "channel_message",
    "channel_post",
    "edited_message",
    "forwarded_from",
    "group_message",
    "group_text",
    "inline_query",
    "media_content",
    "private_message",
    "private_text",
    "text_content",
    "text_entities",
    "without",
]

JSONDict = dict[str, Any]

_serial = itertools.count(1)  # one counter for every generated id keeps them unique across kinds

# What Telegram's clients mark up in a user's text: /commands (optionally /cmd@bot) and @mentions.
_BOT_COMMAND = re.compile(r"(?<![\w/@])/\w{1,64}(?:@\w{3,32})?(?![\w/@])", re.ASCII)
_MENTION = re.compile(r"(?<![\w/@])@\w{5,32}(?![\w@])", re.ASCII)


def _now() -> int:
    return int(time.time())


def _user_id() -> int:
    return 700_000_000 + next(_serial)


def _channel_id() -> int:
    """Supergroups and channels have ids of the form -100XXXXXXXXXX."""
    return -(1_001_000_000_000 + next(_serial))


def _without_none(fields: JSONDict) -> JSONDict:
    return {key: value for key, value in fields.items() if value is not None}


def json_copy(value: Any) -> Any:
    """A deep copy of JSON data (dicts, lists, scalars): the server copies every message it
    stores and returns, and `copy.deepcopy` was a fifth of its CPU under load."""
    if isinstance(value, dict):
        return {key: json_copy(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_copy(item) for item in value]
    return value


def as_dict(obj: Any) -> JSONDict:
    """A deep copy of the JSON form of a dict, a builder object or a python-telegram-bot object."""
    return obj.to_dict() if hasattr(obj, "to_dict") else json_copy(dict(obj))


@dataclass(frozen=True)
class User:
    """A Telegram user; ``User("Alice", "alice")`` gets a fresh positive id."""

    first_name: str
    username: str | None = None
    _: KW_ONLY
    id: int = field(default_factory=_user_id)
    last_name: str | None = None
    language_code: str | None = "en"
    is_bot: bool = False

    def to_dict(self) -> JSONDict:
        return _without_none(
            {
                "id": self.id,
                "is_bot": self.is_bot,
                "first_name": self.first_name,
                "last_name": self.last_name,
                "username": self.username,
                "language_code": self.language_code,
            }
        )


@dataclass(frozen=True)
class Chat:
    """A Telegram chat; build one with :meth:`private`, :meth:`group`, :meth:`supergroup`, :meth:`channel`."""

    id: int
    type: str
    title: str | None = None
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None

    @classmethod
    def private(cls, user: User) -> "Chat":
        """The private chat with ``user``, which shares the user's id."""
        return cls(user.id, "private", username=user.username, first_name=user.first_name, last_name=user.last_name)

    @classmethod
    def group(cls, title: str = "Policy group") -> "Chat":
        """A basic group: small negative id."""
        return cls(-(400_000_000 + next(_serial)), "group", title)

    @classmethod
    def supergroup(cls, title: str = "Policy supergroup", username: str | None = None) -> "Chat":
        return cls(_channel_id(), "supergroup", title, username)

    @classmethod
    def channel(cls, title: str = "Policy channel", username: str | None = None) -> "Chat":
        return cls(_channel_id(), "channel", title, username)

    def to_dict(self) -> JSONDict:
        return _without_none(
            {
                "id": self.id,
                "type": self.type,
                "title": self.title,
                "username": self.username,
                "first_name": self.first_name,
                "last_name": self.last_name,
            }
        )


# The placeholder senders Telegram puts in ``from`` when a message is sent on behalf of a chat.
GROUP_ANONYMOUS_BOT = User("Group", "GroupAnonymousBot", id=1087968824, is_bot=True, language_code=None)
CHANNEL_BOT = User("Channel", "Channel_Bot", id=136817688, is_bot=True, language_code=None)


def text_entities(text: str) -> list[JSONDict]:
    """The ``bot_command`` and ``mention`` entities Telegram attaches to ``text``, in UTF-16 units."""
    found = [("bot_command", match) for match in _BOT_COMMAND.finditer(text)]
    found += [("mention", match) for match in _MENTION.finditer(text)]
    entities = [
        {"type": kind, "offset": utf16_len(text[: match.start()]), "length": utf16_len(match.group())}
        for kind, match in found
    ]
    return sorted(entities, key=lambda entity: entity["offset"])


def forwarded_from(origin: User | Chat, *, message_id: int = 1) -> JSONDict:
    """A ``forward_origin`` for a message forwarded from a user, a channel post or another chat."""
    if isinstance(origin, User):
        return {"type": "user", "date": _now(), "sender_user": origin.to_dict()}
    if origin.type == "channel":
        return {"type": "channel", "date": _now(), "chat": origin.to_dict(), "message_id": message_id}
    return {"type": "chat", "date": _now(), "sender_chat": origin.to_dict()}


def _message(
    chat: Chat,
    sender: User | None,
    content: JSONDict,
    *,
    reply_to: Any = None,
    sender_chat: Chat | None = None,
    via_bot: User | None = None,
    forward_origin: JSONDict | None = None,
) -> JSONDict:
    message: JSONDict = {"date": _now(), "chat": chat.to_dict()}
    if sender_chat is not None:
        message["sender_chat"] = sender_chat.to_dict()
        if chat.type != "channel":
            placeholder = GROUP_ANONYMOUS_BOT if sender_chat.id == chat.id else CHANNEL_BOT
            message["from"] = placeholder.to_dict()
    elif sender is not None:
        message["from"] = sender.to_dict()
    message.update(json_copy(content))
    optional = {
        # Telegram nests replies one level deep only.
        "reply_to_message": None if reply_to is None else _without_reply(reply_to),
        "via_bot": None if via_bot is None else via_bot.to_dict(),
        "forward_origin": forward_origin,
    }
    message.update({key: value for key, value in optional.items() if value})
    return message


def text_content(text: str) -> JSONDict:
    """The content of a text message: ``text`` and the entities Telegram's clients attach."""
    return _without_none({"text": text, "entities": text_entities(text) or None})


# What each kind of non-text message carries (file ids are opaque strings to a bot).
_MEDIA: dict[str, Any] = {
    "sticker": {
        "file_id": "CAACAgIAAxkBAAEStickerFileId",
        "file_unique_id": "AgADSticker",
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
        "emoji": "👍",
    },
    "photo": [
        {"file_id": f"AgACAgIAAxkBAAEPhoto{size}", "file_unique_id": f"AQADPhoto{size}", "width": size, "height": size}
        for size in (90, 320, 1280)
    ],
    "voice": {
        "file_id": "AwACAgIAAxkBAAEVoice",
        "file_unique_id": "AgADVoice",
        "duration": 3,
        "mime_type": "audio/ogg",
    },
    "location": {"latitude": 50.4501, "longitude": 30.5234},
    "contact": {"phone_number": "+10000000000", "first_name": "Someone"},
    "dice": {"emoji": "🎲", "value": 4},
    "poll": {
        "id": "5000000001",
        "question": "Which principle of a right détente matters most?",
        "options": [
            {"persistent_id": "strength", "text": "Strength", "voter_count": 2},
            {"persistent_id": "allies", "text": "Coordination with allies", "voter_count": 1},
        ],
        "total_voter_count": 3,
        "is_closed": False,
        "is_anonymous": True,
        "type": "regular",
        "allows_multiple_answers": False,
        "allows_revoting": True,
        "members_only": False,
    },
}
MEDIA_KINDS = tuple(_MEDIA)

# A poll as a Bot API server before 9.6 sends it: without the option ids and flags that
# python-telegram-bot 22.8 requires, so the library cannot decode the update carrying it.
_NEW_IN_9_6 = ("persistent_id", "allows_revoting", "members_only")


def _before_9_6(fields: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in fields.items() if key not in _NEW_IN_9_6}


OLD_POLL = {**_before_9_6(_MEDIA["poll"]), "options": [_before_9_6(option) for option in _MEDIA["poll"]["options"]]}


def media_content(kind: str, caption: str | None = None) -> JSONDict:
    """The content of a non-text message of ``kind`` (one of MEDIA_KINDS), with an optional caption."""
    content: JSONDict = {kind: _MEDIA[kind]}
    if caption is not None:
        content["caption"] = caption
        if entities := text_entities(caption):
            content["caption_entities"] = entities
    return content


def _without_reply(message: Any) -> JSONDict:
    quoted = as_dict(message)
    quoted.pop("reply_to_message", None)
    return quoted


def private_message(
    user: User,
    content: JSONDict,
    *,
    reply_to: Any = None,
    via_bot: User | None = None,
    forward_origin: JSONDict | None = None,
) -> JSONDict:
    """A message with ``content`` (see text_content, media_content) from ``user`` in their private chat."""
    message = _message(
        Chat.private(user), user, content, reply_to=reply_to, via_bot=via_bot, forward_origin=forward_origin
    )
    return {"message": message}


def private_text(user: User, text: str, **options: Any) -> JSONDict:
    """A text message from ``user`` in their private chat with the bot (options as for private_message)."""
    return private_message(user, text_content(text), **options)


def group_message(
    chat: Chat,
    user: User | None,
    content: JSONDict,
    reply_to: Any = None,
    *,
    sender_chat: Chat | None = None,
    via_bot: User | None = None,
    forward_origin: JSONDict | None = None,
) -> JSONDict:
    """A message with ``content`` in a (super)group; ``sender_chat=chat`` makes it an anonymous admin's."""
    message = _message(
        chat,
        user,
        content,
        reply_to=reply_to,
        sender_chat=sender_chat,
        via_bot=via_bot,
        forward_origin=forward_origin,
    )
    return {"message": message}


def group_text(chat: Chat, user: User | None, text: str, reply_to: Any = None, **options: Any) -> JSONDict:
    """A text message in a (super)group (options as for group_message)."""
    return group_message(chat, user, text_content(text), reply_to, **options)


def channel_message(chat: Chat, content: JSONDict) -> JSONDict:
    """A post with ``content`` in a channel: no ``from``, the channel itself is the ``sender_chat``."""
    return {"channel_post": _message(chat, None, content, sender_chat=chat)}


def channel_post(chat: Chat, text: str) -> JSONDict:
    """A text post in a channel."""
    return channel_message(chat, text_content(text))


def without(update: Mapping[str, Any], *names: str) -> JSONDict:
    """``update`` with fields of its message or query removed, as a broken client or server might send it."""
    broken = as_dict(update)
    [kind] = [key for key in broken if key != "update_id"]
    for name in names:
        broken[kind].pop(name, None)
    return broken


def inline_query(user: User, query: str, chat_type: str = "private", offset: str = "") -> JSONDict:
    """An inline query typed by ``user``; its id is what answerInlineQuery must quote."""
    return {
        "inline_query": {
            "id": str(4_000_000_000_000_000_000 + next(_serial)),
            "from": user.to_dict(),
            "query": query,
            "offset": offset,
            "chat_type": chat_type,
        }
    }


def callback_query(user: User, message: Any, data: str) -> JSONDict:
    """A press by ``user`` on a button with callback ``data`` under the bot's ``message``."""
    quoted = as_dict(message)
    return {
        "callback_query": {
            "id": str(5_000_000_000_000_000_000 + next(_serial)),
            "from": user.to_dict(),
            "message": quoted,
            "chat_instance": str(6_000_000_000_000_000_000 + abs(quoted["chat"]["id"])),
            "data": data,
        }
    }


def edited_message(message: Any, text: str) -> JSONDict:
    """``message`` (already pushed or sent, so it has its message_id) edited to ``text``."""
    edited = as_dict(message)
    edited.pop("entities", None)
    edited.update(text=text, edit_date=_now())
    if entities := text_entities(text):
        edited["entities"] = entities
    kind = "edited_channel_post" if edited["chat"]["type"] == "channel" else "edited_message"
    return {kind: edited}

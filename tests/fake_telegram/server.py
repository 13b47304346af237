"""A fake Telegram Bot API server for tests, served by aiohttp on 127.0.0.1 only.

Why a fake server rather than a mocked ``telegram.Bot``: the bot under test runs the real
``telegram.ext.Application`` (request layer, JSON encoding, polling loop, error mapping) against
this server, pointed at it with ``ApplicationBuilder().base_url(fake.base_url)``. Requests are
validated the way Telegram validates them (HTML, lengths, keyboards, inline results, commands) and
answered in Telegram's envelope with Telegram's error descriptions, so a message Telegram would
refuse fails the test instead of passing silently.

Everything a test may assert on is recorded: ``calls``, ``rejections``, ``sent``, per-chat history,
inline and callback answers. Every request for a known method passes through per-method hooks
before its handler (:meth:`FakeTelegram.add_hook`); that one place is where faults plug in
(:meth:`FakeTelegram.inject`, see ``faults`` for what each fault means). Every accepted
sendMessage is checked against Telegram's flood limits (``limits``); see :attr:`flood_violations`.
"""

import asyncio
import contextlib
import json
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from .faults import DropConnection, Fault
from .html_parser import STRICT_NOTE, HtmlParseError, entity_sort_key, parse_html, utf16_len
from .limits import FloodPolice, Violation
from .updates import as_dict, json_copy

__all__ = ["DEFAULT_TOKEN", "ApiError", "Call", "FakeTelegram", "Hook"]

JSONDict = dict[str, Any]

DEFAULT_TOKEN = "123456789:AAFakeTokenForPolicybotTests-0123456789"

MAX_TEXT_LENGTH = 4096  # UTF-16 code units, after entity parsing
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER_LENGTH = 200
MAX_INLINE_RESULTS = 50
MAX_RESULT_ID_BYTES = 64
MAX_COMMANDS = 100
MAX_COMMAND_LENGTH = 32
MAX_COMMAND_DESCRIPTION_LENGTH = 256

# Seconds a dropped request's handler lingers at most before aiohttp cancels it.
DROP_GRACE = 1.0

QUERY_EXPIRED = "query is too old and response timeout expired or query ID is invalid"
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the same "
    "as a current content and reply markup of the message"
)

_PATH = re.compile(r"/bot([^/]+)/([^/]+)")

# Form-encoded requests carry every value as a string; these are decoded to what they mean.
_JSON_FIELDS = frozenset(
    {
        "allowed_updates",
        "button",
        "commands",
        "entities",
        "link_preview_options",
        "reply_markup",
        "reply_parameters",
        "results",
        "scope",
    }
)
_INT_FIELDS = frozenset(
    {"cache_time", "chat_id", "limit", "message_id", "message_thread_id", "offset", "reply_to_message_id", "timeout"}
)
_BOOL_FIELDS = frozenset(
    {
        "allow_sending_without_reply",
        "disable_notification",
        "drop_pending_updates",
        "is_personal",
        "protect_content",
        "show_alert",
    }
)
_INTEGER = re.compile(r"-?[0-9]+")
_BOOLEANS = {"true": True, "false": False}

_MESSAGE_KINDS = frozenset({"message", "edited_message", "channel_post", "edited_channel_post"})
# Telegram delivers these only to a bot that asked for them in allowed_updates.
_OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "login_url",
    "web_app",
    "callback_game",
    "pay",
)
_COMMAND = re.compile(r"[a-z0-9_]+")
_LANGUAGE_CODE = re.compile(r"[a-z]{2}")


class ApiError(Exception):
    """A Bot API failure; handlers and hooks raise it, the client receives Telegram's error envelope."""

    def __init__(self, status: int, description: str, parameters: JSONDict | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def envelope(self) -> JSONDict:
        body: JSONDict = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


async def _drop(request: web.Request) -> web.StreamResponse:
    """Close the client's connection without a word; the handler ends when aiohttp notices."""
    if request.transport is not None:
        request.transport.close()
    await asyncio.sleep(DROP_GRACE)  # cancelled as soon as aiohttp sees the closed connection
    raise ConnectionResetError("dropped by the fake on purpose")


def _bad_request(reason: str) -> ApiError:
    return ApiError(400, f"Bad Request: {reason}")


@dataclass
class Call:
    """One request as the fake received and answered it.

    ``status`` and ``response`` stay None while the call is in flight, and for good if the client
    gave up on it (PTB cancels its long poll when the Application stops) or the fake dropped the
    connection. ``fault`` names the injected :class:`Fault` that struck the call, if any;
    ``answer_delay`` is how long a slow fault holds the answer back after applying the call.
    """

    method: str
    params: JSONDict
    at: float
    status: int | None = None
    response: JSONDict | None = None
    fault: str | None = None
    answer_delay: float = 0.0

    @property
    def ok(self) -> bool | None:
        return None if self.response is None else self.response["ok"]

    @property
    def description(self) -> str | None:
        return None if self.response is None else self.response.get("description")

    @property
    def result(self) -> Any:
        return None if self.response is None else self.response.get("result")

    def __str__(self) -> str:
        params = json.dumps(self.params, ensure_ascii=False, default=str)
        if len(params) > 160:
            params = params[:157] + "..."
        outcome = "in flight" if self.status is None else f"{self.status} {self.description or 'ok'}"
        return f"{self.method} {params} -> {outcome}"


Hook = Callable[[Call], Awaitable[None]]


class _Broadcast:
    """Wakes every current waiter at once; waiters re-check their condition after waking."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify_all(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, timeout: float) -> None:
        event = self._event
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)


@dataclass
class _ChatState:
    info: JSONDict
    messages: dict[int, JSONDict] = field(default_factory=dict)
    bot_message_ids: set[int] = field(default_factory=set)
    last_message_id: int = 0

    def next_message_id(self) -> int:
        self.last_message_id += 1
        return self.last_message_id


@dataclass
class _Query:
    id: str
    kind: str
    pushed_at: float
    answered: bool = False


class FakeTelegram:
    """The fake server: start it, point a ``telegram.Bot`` at :attr:`base_url`, push updates, assert.

    ``query_max_age`` is how long (seconds) an inline or callback query stays answerable;
    ``max_poll_timeout`` caps the long-poll ``timeout`` of getUpdates so no request waits long.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        bot_username: str = "policybot_test_bot",
        *,
        bot_first_name: str = "Policybot",
        query_max_age: float = 15.0,
        max_poll_timeout: float = 10.0,
    ) -> None:
        self.token = token
        self.bot_user: JSONDict = {
            "id": int(token.split(":", 1)[0]),
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }
        self.query_max_age = query_max_age
        self.max_poll_timeout = max_poll_timeout
        self.calls: list[Call] = []
        self.sent: list[JSONDict] = []
        self.inline_answers: list[JSONDict] = []
        self.callback_answers: list[JSONDict] = []
        self.webhook_url = ""
        self._chats: dict[int, _ChatState] = {}
        self._queries: dict[str, _Query] = {}
        self._commands: dict[tuple[str, str], list[JSONDict]] = {}
        self._pending: list[JSONDict] = []
        self._last_update_id = 100_000
        self._allowed_updates: frozenset[str] | None = None
        self._hooks: dict[str, list[Hook]] = {}
        self._flood = FloodPolice()
        self._updates_changed = _Broadcast()
        self._call_finished = _Broadcast()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        handlers: dict[str, Callable[[JSONDict], Awaitable[Any]]] = {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "sendChatAction": self._send_chat_action,
            "answerInlineQuery": self._answer_inline_query,
            "answerCallbackQuery": self._answer_callback_query,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "close": self._acknowledge,
            "logOut": self._acknowledge,
        }
        # Bot API method names are case-insensitive.
        self._methods = {name.lower(): (name, handler) for name, handler in handlers.items()}

    # ----------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        """Listen on 127.0.0.1 on a free port."""
        if self._runner is not None:
            raise RuntimeError("FakeTelegram is already started")
        app = web.Application()
        app.router.add_route("*", "/{path:.*}", self._handle)
        # handler_cancellation: a client that gives up (PTB cancelling a long poll) ends its handler.
        runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=1.0, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        self._runner, self._port, self._closing = runner, runner.addresses[0][1], False

    async def stop(self) -> None:
        """Release waiting long polls at once, then close the server; calling it twice is harmless."""
        if self._runner is None:
            return
        self._closing = True
        self._updates_changed.notify_all()
        runner, self._runner = self._runner, None
        await runner.cleanup()

    async def __aenter__(self) -> "FakeTelegram":
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("FakeTelegram is not started")
        return self._port

    @property
    def base_url(self) -> str:
        """For ``Bot(base_url=...)`` / ``ApplicationBuilder().base_url(...)``; PTB appends the token."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """For ``base_file_url``; the fake serves no files, so downloads answer 404."""
        return f"http://127.0.0.1:{self.port}/file/bot"

    # ----------------------------------------------------------------- test-facing API

    @property
    def rejections(self) -> list[Call]:
        """The calls answered with an error."""
        return [call for call in self.calls if call.ok is False]

    @property
    def pending_updates(self) -> list[JSONDict]:
        """Updates pushed and not yet confirmed by a getUpdates offset."""
        return json_copy(self._pending)

    def forget_history(self) -> None:
        """Drop the record of answered calls, sent messages and answers, so a long run stays small.

        Calls still in flight are kept. Chats stay known, their messages do not: a later reply
        to a forgotten message behaves as a reply to a deleted one.
        """
        self.calls = [call for call in self.calls if call.status is None]
        self.sent.clear()
        self.inline_answers.clear()
        self.callback_answers.clear()
        self._queries = {key: query for key, query in self._queries.items() if not query.answered}
        for chat in self._chats.values():
            chat.messages.clear()
            chat.bot_message_ids.clear()

    def register_chat(self, chat: Any) -> None:
        """Make a chat known (a dict, ``updates.Chat`` or PTB ``Chat``) without pushing an update from it."""
        self._chat_state(as_dict(chat))

    def messages_in(self, chat_id: int) -> list[JSONDict]:
        """The chat's current messages (users' and the bot's, deleted ones gone), by message_id."""
        state = self._chats.get(chat_id)
        return [] if state is None else [json_copy(state.messages[key]) for key in sorted(state.messages)]

    def commands_for(self, scope: JSONDict | None = None, language_code: str = "") -> list[JSONDict]:
        """The commands set for exactly this scope and language, as getMyCommands would return them."""
        key = self._commands_key({"scope": scope, "language_code": language_code})
        return json_copy(self._commands.get(key, []))

    def push_update(self, update: Mapping[str, Any]) -> JSONDict:
        """Queue an update for getUpdates and return it as queued, with update_id and message_id set.

        Messages get the next message_id of their chat (unless they carry one) and are remembered,
        so the bot can reply to them and edits of them work; their chat becomes known. Inline and
        callback query ids become answerable. An edit of a message the fake does not know is a
        mistake in the test and raises ValueError.
        """
        update = as_dict(update)
        kind = _update_kind(update)
        if kind in _MESSAGE_KINDS:
            update[kind] = self._remember_incoming(update[kind], edited=kind.startswith("edited_"))
        elif kind in ("inline_query", "callback_query"):
            query_id = update[kind]["id"]
            self._queries[query_id] = _Query(query_id, kind, time.monotonic())
        elif "chat" in update[kind]:  # my_chat_member, chat_member, chat_join_request, ...
            self._chat_state(update[kind]["chat"])
        self._last_update_id += 1
        update = {"update_id": self._last_update_id, **update}
        self._pending.append(update)
        self._updates_changed.notify_all()
        return json_copy(update)

    async def wait_for_call(
        self,
        method: str,
        count: int = 1,
        timeout: float = 5.0,
        predicate: Callable[[Call], bool] | None = None,
    ) -> list[Call]:
        """Wait until ``count`` answered calls of ``method`` (matching ``predicate``) exist; return them all.

        Raises TimeoutError listing every call received, which is usually the quickest diagnosis.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            matches = [
                call
                for call in self.calls
                if call.status is not None
                and call.method.lower() == method.lower()
                and (predicate is None or predicate(call))
            ]
            if len(matches) >= count:
                return matches
            remaining = deadline - loop.time()
            if remaining <= 0:
                received = "\n  ".join(str(call) for call in self.calls) or "(none)"
                condition = " matching the predicate" if predicate else ""
                raise TimeoutError(
                    f"expected {count} answered {method} call(s){condition} within {timeout}s, "
                    f"got {len(matches)}. Calls received:\n  {received}"
                )
            await self._call_finished.wait(remaining)

    # ----------------------------------------------------------------- hooks and faults

    def add_hook(self, method: str, hook: Hook) -> None:
        """Run ``await hook(call)`` before the handler of each ``method`` call ("*" for every method).

        A hook may inspect the call, sleep (latency) or raise :class:`ApiError` (faults, rate
        limits); raising skips the handler, so the call has no effect, as with a real failure.
        """
        self._hooks.setdefault(method.lower(), []).append(hook)

    def remove_hook(self, method: str, hook: Hook) -> None:
        self._hooks[method.lower()].remove(hook)

    def inject(self, method: str, fault: Fault, times: int = 1) -> None:
        """Strike the next ``times`` calls of ``method`` with ``fault`` (see ``faults`` for the semantics)."""
        remaining = times

        async def strike(call: Call) -> None:
            nonlocal remaining
            remaining -= 1
            if remaining == 0:
                self.remove_hook(method, strike)
            call.fault = fault.name
            if fault.status is not None:
                parameters = None if fault.retry_after is None else {"retry_after": fault.retry_after}
                raise ApiError(fault.status, fault.description, parameters)
            if fault.name == "dropped":
                raise DropConnection
            call.answer_delay = fault.delay

        self.add_hook(method, strike)

    def fail_next(
        self,
        method: str,
        status: int,
        description: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` with an error (429 + retry_after: flood control)."""
        self.inject(method, Fault.error(status, description, retry_after), times)

    @property
    def flood_violations(self) -> list[Violation]:
        """Messages sent over one of Telegram's flood limits (``limits.FLOOD_LIMITS``), in arrival order."""
        return list(self._flood.violations)

    # ----------------------------------------------------------------- HTTP

    async def _handle(self, request: web.Request) -> web.Response:
        """Route ``/bot<token>/<method>``, record the call and answer in Telegram's envelope."""
        match = _PATH.fullmatch(request.path)
        token, method = match.groups() if match else ("", request.path)
        known = self._methods.get(method.lower())
        call = Call(method=known[0] if known else method, params={}, at=time.time())
        self.calls.append(call)
        try:
            call.params = await _read_params(request)
            if match is None:
                raise ApiError(404, "Not Found")
            if token != self.token:
                raise ApiError(401, "Unauthorized")
            if known is None:
                raise ApiError(404, "Not Found")
            for hook in self._hooks.get("*", []) + self._hooks.get(method.lower(), []):
                await hook(call)
            result = await known[1](call.params)
            status, body = 200, {"ok": True, "result": result}
            if known[0] == "sendMessage":
                self._flood.message(result["chat"]["id"], result["chat"]["type"], call.at)
        except ApiError as error:
            status, body = error.status, error.envelope()
        except DropConnection:
            return await _drop(request)
        call.status, call.response = status, body
        self._call_finished.notify_all()
        # A slow fault: the call took effect above; the client may time out before this answer.
        await asyncio.sleep(call.answer_delay)
        return web.json_response(body, status=status)

    # ----------------------------------------------------------------- state helpers

    def _chat_state(self, info: JSONDict) -> _ChatState:
        state = self._chats.get(info["id"])
        if state is None:
            state = self._chats[info["id"]] = _ChatState(json_copy(info))
        return state

    def _chat(self, params: JSONDict) -> _ChatState:
        """The chat a request names by id or @username; Telegram knows only chats the bot has seen."""
        chat_id = _required(params, "chat_id", "chat_id is empty")
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            for state in self._chats.values():
                if (state.info.get("username") or "").lower() == chat_id[1:].lower():
                    return state
        elif isinstance(chat_id, int) and chat_id in self._chats:
            return self._chats[chat_id]
        raise _bad_request("chat not found")

    def _remember_incoming(self, message: JSONDict, *, edited: bool) -> JSONDict:
        chat = self._chat_state(message["chat"])
        if edited:
            if message.get("message_id") not in chat.messages:
                raise ValueError(f"edited message {message.get('message_id')} is unknown in chat {chat.info['id']}")
        elif "message_id" in message:
            chat.last_message_id = max(chat.last_message_id, message["message_id"])
        else:
            message = {"message_id": chat.next_message_id(), **message}
        chat.messages[message["message_id"]] = json_copy(message)
        return message

    def _remember_sent(self, chat: _ChatState, message: JSONDict) -> JSONDict:
        """Keep `message` as the chat's live copy (later edits change it); `sent` and the
        answer share one snapshot of it as it is now."""
        chat.messages[message["message_id"]] = message
        chat.bot_message_ids.add(message["message_id"])
        snapshot = json_copy(message)
        self.sent.append(snapshot)
        return snapshot

    def _reply_target(self, chat: _ChatState, params: JSONDict) -> JSONDict | None:
        """The message a send replies to, quoted one level deep as Telegram does."""
        reply = params.get("reply_parameters") or {}
        if not isinstance(reply, dict):
            raise _bad_request("can't parse reply parameters JSON object")
        message_id = reply.get("message_id", params.get("reply_to_message_id"))
        if message_id is None:
            return None
        original = chat.messages.get(message_id)
        if original is None:
            if reply.get("allow_sending_without_reply", params.get("allow_sending_without_reply")):
                return None
            raise _bad_request("message to be replied not found")
        quoted = json_copy(original)
        quoted.pop("reply_to_message", None)
        return quoted

    def _editable(self, params: JSONDict) -> tuple[_ChatState, JSONDict]:
        if "inline_message_id" in params:
            raise _bad_request("MESSAGE_ID_INVALID")  # the fake keeps no messages sent via inline mode
        chat = self._chat(params)
        message_id = _integer(params, "message_id")
        message = chat.messages.get(message_id)
        if message is None:
            raise _bad_request("message to edit not found")
        if message_id not in chat.bot_message_ids:
            raise _bad_request("message can't be edited")
        return chat, message

    def _apply_edit(self, chat: _ChatState, message: JSONDict, **changes: Any) -> JSONDict:
        edited = {key: value for key, value in message.items() if key not in changes}
        edited.update({key: value for key, value in changes.items() if value})
        edited["edit_date"] = int(time.time())
        return self._remember_sent(chat, edited)

    def _answerable(self, params: JSONDict, field_name: str, kind: str) -> _Query:
        query = self._queries.get(str(_required(params, field_name)))
        if (
            query is None
            or query.kind != kind
            or query.answered
            or time.monotonic() - query.pushed_at > self.query_max_age
        ):
            raise _bad_request(QUERY_EXPIRED)
        return query

    def _is_allowed(self, update: JSONDict) -> bool:
        kind = _update_kind(update)
        return kind in self._allowed_updates if self._allowed_updates is not None else kind not in _OPT_IN_UPDATES

    def _set_allowed_updates(self, allowed: Any) -> None:
        """Telegram remembers allowed_updates across calls; an empty list means the default set."""
        if not isinstance(allowed, list) or not all(isinstance(kind, str) for kind in allowed):
            raise _bad_request("can't parse allowed_updates JSON object")
        self._allowed_updates = frozenset(allowed) or None

    def _take_updates(self, offset: int | None, limit: int) -> list[JSONDict]:
        """Forget updates confirmed by ``offset`` (negative: keep only the last -offset), return the rest."""
        if offset is not None:
            if offset < 0:
                self._pending = self._pending[offset:]
            else:
                self._pending = [update for update in self._pending if update["update_id"] >= offset]
        self._pending = [update for update in self._pending if self._is_allowed(update)]
        return self._pending[:limit]

    def _commands_key(self, params: JSONDict) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        if not isinstance(scope, dict) or not isinstance(scope.get("type"), str):
            raise _bad_request("can't parse BotCommandScope JSON object")
        language_code = params.get("language_code") or ""
        if language_code and not _LANGUAGE_CODE.fullmatch(language_code):
            raise _bad_request("invalid language code specified")
        return json.dumps(scope, sort_keys=True), language_code

    # ----------------------------------------------------------------- Bot API methods

    async def _get_me(self, params: JSONDict) -> JSONDict:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _get_updates(self, params: JSONDict) -> list[JSONDict]:
        if self.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        if "allowed_updates" in params:
            self._set_allowed_updates(params["allowed_updates"])
        offset = _optional_integer(params, "offset", None)
        limit = min(max(_optional_integer(params, "limit", 100), 1), 100)
        timeout = min(max(_optional_integer(params, "timeout", 0), 0), self.max_poll_timeout)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            batch = self._take_updates(offset, limit)
            remaining = deadline - loop.time()
            if batch or self._closing or remaining <= 0:
                return batch
            await self._updates_changed.wait(remaining)

    async def _set_webhook(self, params: JSONDict) -> bool:
        url = params.get("url") or ""
        if url and not url.startswith("https://"):
            raise _bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        if "allowed_updates" in params:
            self._set_allowed_updates(params["allowed_updates"])
        if params.get("drop_pending_updates"):
            self._pending.clear()
        self.webhook_url = url
        return True

    async def _delete_webhook(self, params: JSONDict) -> bool:
        if params.get("drop_pending_updates"):
            self._pending.clear()
        self.webhook_url = ""
        return True

    async def _get_webhook_info(self, params: JSONDict) -> JSONDict:
        info: JSONDict = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if self._allowed_updates is not None:
            info["allowed_updates"] = sorted(self._allowed_updates)
        return info

    async def _send_message(self, params: JSONDict) -> JSONDict:
        text, entities = _formatted_text(
            params.get("text"), params.get("parse_mode"), params.get("entities"), too_long="message is too long"
        )
        markup = _checked_markup(params.get("reply_markup"))
        chat = self._chat(params)
        reply_to = self._reply_target(chat, params)
        sender = {"sender_chat": chat.info} if chat.info["type"] == "channel" else {"from": self.bot_user}
        message: JSONDict = {
            "message_id": chat.next_message_id(),
            **sender,
            "chat": chat.info,
            "date": int(time.time()),
            "text": text,
        }
        optional = {
            "entities": entities,
            # Only inline keyboards are part of a message; reply keyboards live in the client.
            "reply_markup": markup if markup and "inline_keyboard" in markup else None,
            "reply_to_message": reply_to,
            "link_preview_options": params.get("link_preview_options"),
        }
        message.update(json_copy({key: value for key, value in optional.items() if value}))
        return self._remember_sent(chat, message)

    async def _edit_message_text(self, params: JSONDict) -> JSONDict:
        text, entities = _formatted_text(
            params.get("text"), params.get("parse_mode"), params.get("entities"), too_long="MESSAGE_TOO_LONG"
        )
        # Like Telegram, an edit without reply_markup removes the message's keyboard.
        markup = _checked_markup(params.get("reply_markup"), inline_only=True)
        chat, message = self._editable(params)
        if (message["text"], message.get("entities", []), message.get("reply_markup")) == (text, entities, markup):
            raise _bad_request(NOT_MODIFIED)
        return self._apply_edit(
            chat,
            message,
            text=text,
            entities=entities,
            reply_markup=markup,
            link_preview_options=params.get("link_preview_options"),
        )

    async def _edit_message_reply_markup(self, params: JSONDict) -> JSONDict:
        markup = _checked_markup(params.get("reply_markup"), inline_only=True)
        chat, message = self._editable(params)
        if message.get("reply_markup") == markup:
            raise _bad_request(NOT_MODIFIED)
        return self._apply_edit(chat, message, reply_markup=markup)

    async def _delete_message(self, params: JSONDict) -> bool:
        chat = self._chat(params)
        message_id = _integer(params, "message_id")
        if chat.messages.pop(message_id, None) is None:
            raise _bad_request("message to delete not found")
        chat.bot_message_ids.discard(message_id)
        return True

    async def _send_chat_action(self, params: JSONDict) -> bool:
        self._chat(params)
        if params.get("action") not in _CHAT_ACTIONS:
            raise _bad_request("wrong parameter action in request")
        return True

    async def _answer_inline_query(self, params: JSONDict) -> bool:
        query = self._answerable(params, "inline_query_id", "inline_query")
        _check_inline_results(params.get("results"))
        query.answered = True
        self.inline_answers.append({"cache_time": 300, "is_personal": False, "next_offset": "", **params})
        return True

    async def _answer_callback_query(self, params: JSONDict) -> bool:
        query = self._answerable(params, "callback_query_id", "callback_query")
        if len(params.get("text") or "") > MAX_CALLBACK_ANSWER_LENGTH:
            raise _bad_request("MESSAGE_TOO_LONG")
        query.answered = True
        self.callback_answers.append({"text": "", "show_alert": False, **params})
        return True

    async def _set_my_commands(self, params: JSONDict) -> bool:
        key = self._commands_key(params)
        self._commands[key] = _checked_commands(params.get("commands"))
        return True

    async def _get_my_commands(self, params: JSONDict) -> list[JSONDict]:
        return json_copy(self._commands.get(self._commands_key(params), []))

    async def _delete_my_commands(self, params: JSONDict) -> bool:
        self._commands.pop(self._commands_key(params), None)
        return True

    async def _acknowledge(self, params: JSONDict) -> bool:
        """close / logOut: recorded and acknowledged; the fake keeps serving."""
        return True


# --------------------------------------------------------------------- request decoding


async def _read_params(request: web.Request) -> JSONDict:
    """Query string plus a JSON, urlencoded or multipart body, with form strings decoded."""
    raw: JSONDict = dict(request.query)
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise _bad_request("can't parse JSON request body") from None
        if not isinstance(body, dict):
            raise _bad_request("JSON request body must be an object")
        raw.update(body)
    elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        raw.update((name, value if isinstance(value, str) else value.filename) for name, value in form.items())
    return _decode_params(raw)


def _decode_params(raw: JSONDict) -> JSONDict:
    params: JSONDict = {}
    for name, value in raw.items():
        if isinstance(value, str):
            if name in _JSON_FIELDS:
                try:
                    value = json.loads(value)
                except ValueError:
                    raise _bad_request(f"can't parse {name} JSON object") from None
            elif name in _INT_FIELDS and _INTEGER.fullmatch(value):
                value = int(value)
            elif name in _BOOL_FIELDS and value in _BOOLEANS:
                value = _BOOLEANS[value]
        params[name] = value
    return params


def _update_kind(update: JSONDict) -> str:
    kinds = [key for key in update if key != "update_id"]
    if len(kinds) != 1:
        raise ValueError(f"an update has exactly one field besides update_id, got {kinds}")
    return kinds[0]


def _required(params: JSONDict, name: str, reason: str | None = None) -> Any:
    value = params.get(name)
    if value is None or value == "":
        raise _bad_request(reason or f'parameter "{name}" is required')
    return value


def _is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _integer(params: JSONDict, name: str) -> int:
    value = _required(params, name)
    if not _is_integer(value):
        raise _bad_request(f'field "{name}" must be of type Integer')
    return value


def _optional_integer(params: JSONDict, name: str, default: Any) -> Any:
    return _integer(params, name) if params.get(name) is not None else default


# --------------------------------------------------------------------- validation


def _formatted_text(text: Any, parse_mode: Any, entities: Any, *, too_long: str) -> tuple[str, list[JSONDict]]:
    """The text and entities Telegram would store, or the error it would answer."""
    if not isinstance(text, str) or not text:
        raise _bad_request("message text is empty")
    if not _is_utf8(text):  # e.g. a lone surrogate, sent as JSON "\ud800"
        raise _bad_request("strings must be encoded in UTF-8")
    mode = str(parse_mode or "").lower()
    if mode == "html":
        try:
            text, entities = parse_html(text)
        except HtmlParseError as error:
            raise ApiError(400, error.description) from None
    elif mode in ("markdown", "markdownv2"):
        raise _bad_request(f"can't parse entities: the fake Telegram server does not implement {parse_mode}, use HTML")
    elif mode:
        raise _bad_request("unsupported parse_mode")
    else:
        entities = _given_entities(text, entities)
    text, entities = _trimmed(text, entities)
    if not text:
        raise _bad_request("message text is empty")
    if utf16_len(text) > MAX_TEXT_LENGTH:
        raise _bad_request(too_long)
    return text, entities


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _given_entities(text: str, entities: Any) -> list[JSONDict]:
    """Entities passed explicitly must lie within the text (Telegram would quietly mangle them)."""
    if entities is None:
        return []
    if not isinstance(entities, list):
        raise _bad_request("can't parse entities JSON object")
    size = utf16_len(text)
    for entity in entities:
        if not (
            isinstance(entity, dict)
            and isinstance(entity.get("type"), str)
            and _is_integer(entity.get("offset"))
            and _is_integer(entity.get("length"))
        ):
            raise _bad_request("can't parse MessageEntity JSON object")
        if entity["offset"] < 0 or entity["length"] < 1 or entity["offset"] + entity["length"] > size:
            raise _bad_request(
                f"can't parse entities: {entity['type']} entity at offset {entity['offset']} with length "
                f"{entity['length']} does not fit in a text of {size} UTF-16 code units{STRICT_NOTE}"
            )
    return sorted(json_copy(entities), key=entity_sort_key)


def _trimmed(text: str, entities: list[JSONDict]) -> tuple[str, list[JSONDict]]:
    """Telegram strips leading and trailing whitespace from a message; entities are clipped to match."""
    core = text.strip()
    if core == text:
        return text, entities
    start = utf16_len(text[: len(text) - len(text.lstrip())])
    end = start + utf16_len(core)
    clipped = []
    for entity in entities:
        low, high = max(entity["offset"], start), min(entity["offset"] + entity["length"], end)
        if high > low:
            clipped.append({**entity, "offset": low - start, "length": high - low})
    return core, clipped


def _checked_markup(markup: Any, *, inline_only: bool = False) -> JSONDict | None:
    """Validate an inline keyboard like Telegram; other keyboards pass through. Empty means none."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise _bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" not in markup:
        if inline_only:
            raise _bad_request("inline keyboard expected")
        return markup
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise _bad_request('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays')
    for row in rows:
        for button in row:
            _check_button(button)
    return markup if any(rows) else None


def _check_button(button: Any) -> None:
    if not isinstance(button, dict):
        raise _bad_request("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
    text = button.get("text")
    if not isinstance(text, str) or not text.strip():
        raise _bad_request("can't parse inline keyboard button: button text must be non-empty")
    actions = [action for action in _BUTTON_ACTIONS if action in button]
    if not actions:
        raise _bad_request("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
    if len(actions) > 1:
        raise _bad_request(
            f"can't parse inline keyboard button: exactly one of the optional fields must be used, "
            f"got {', '.join(actions)}{STRICT_NOTE}"
        )
    data = button.get("callback_data")
    if "callback_data" in button and not (isinstance(data, str) and 1 <= len(data.encode()) <= MAX_CALLBACK_DATA_BYTES):
        raise _bad_request("BUTTON_DATA_INVALID")
    if "url" in button and not _is_button_url(button["url"]):
        raise _bad_request("BUTTON_URL_INVALID")


def _is_button_url(url: Any) -> bool:
    if not isinstance(url, str):
        return False
    parts = urlsplit(url)
    return parts.scheme == "tg" or (parts.scheme in ("http", "https") and bool(parts.netloc))


def _check_inline_results(results: Any) -> None:
    if results is None:
        raise _bad_request('parameter "results" is required')
    if not isinstance(results, list):
        raise _bad_request("can't parse inline query results JSON object")
    if len(results) > MAX_INLINE_RESULTS:
        raise _bad_request("RESULTS_TOO_MUCH")
    seen: set[str] = set()
    for result in results:
        if not isinstance(result, dict):
            raise _bad_request("can't parse inline query result: InlineQueryResult must be an Object")
        result_id = result.get("id")
        if not isinstance(result_id, str) or not 1 <= len(result_id.encode()) <= MAX_RESULT_ID_BYTES:
            raise _bad_request("RESULT_ID_INVALID")
        if result_id in seen:
            raise _bad_request("RESULT_ID_DUPLICATE")
        seen.add(result_id)
        if result.get("type") == "article":
            for name in ("title", "input_message_content"):
                if not result.get(name):
                    raise _bad_request(f"can't parse inline query result: Can't find field \"{name}\"")
        content = result.get("input_message_content")
        if isinstance(content, dict) and "message_text" in content:
            _formatted_text(
                content["message_text"], content.get("parse_mode"), content.get("entities"), too_long="MESSAGE_TOO_LONG"
            )
        _checked_markup(result.get("reply_markup"), inline_only=True)


def _checked_commands(commands: Any) -> list[JSONDict]:
    """Commands as Telegram stores them (trimmed, leading "/" dropped), or Telegram's error."""
    if commands is None:
        raise _bad_request('parameter "commands" is required')
    if not isinstance(commands, list):
        raise _bad_request("can't parse commands JSON object")
    if len(commands) > MAX_COMMANDS:
        raise _bad_request("BOT_COMMANDS_TOO_MUCH")
    checked = []
    for item in commands:
        if not isinstance(item, dict):
            raise _bad_request("can't parse BotCommand JSON object")
        command = str(item.get("command") or "").strip().removeprefix("/")
        description = str(item.get("description") or "").strip()
        if not command:
            raise _bad_request("command must be non-empty")
        if len(command) > MAX_COMMAND_LENGTH:
            raise _bad_request(f"command length must not exceed {MAX_COMMAND_LENGTH}")
        if not _COMMAND.fullmatch(command):
            raise _bad_request("BOT_COMMAND_INVALID")
        if not description:
            raise _bad_request("command description must be non-empty")
        if len(description) > MAX_COMMAND_DESCRIPTION_LENGTH:
            raise _bad_request(f"command description length must not exceed {MAX_COMMAND_DESCRIPTION_LENGTH}")
        checked.append({"command": command, "description": description})
    return checked

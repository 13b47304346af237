"""Webhook mode: a small HTTP server that takes Telegram's update posts and nothing else.

python-telegram-bot's built-in webhook server checks the secret token, but reads any body
into memory first, up to tornado's default of 100 MB. This one decides from the headers,
before a byte of the body is read: a missing or wrong `X-Telegram-Bot-Api-Secret-Token`
gets 403, a body announced over `MAX_UPDATE_BYTES` gets 413 and tornado then closes the
connection unread. A chunked body (no length announced; Telegram never sends one) is cut off
by tornado's `max_body_size` with 400 once it passes the limit. Either way at most
`MAX_UPDATE_BYTES` are ever held. Accepted updates go to the `Application`'s queue, as PTB's do.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import signal
from http import HTTPStatus

import tornado.web
from telegram.ext import Application
from tornado.httpserver import HTTPServer

from bot.decoding import decode_update

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Largest update body accepted. Telegram's updates are a few kilobytes (a 4096-character
# message with entities is under 100 KB); anything near this is not from Telegram.
MAX_UPDATE_BYTES = 1_000_000


@tornado.web.stream_request_body
class UpdateHandler(tornado.web.RequestHandler):
    """POSTed updates: checked from the headers, then the body is collected within the limit."""

    SUPPORTED_METHODS = ("POST",)

    def initialize(self, bot_application: Application, secret_token: str) -> None:
        self._bot_application = bot_application
        self._secret = secret_token.encode()
        self._body = bytearray()

    def prepare(self) -> None:
        given = self.request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            raise tornado.web.HTTPError(HTTPStatus.FORBIDDEN)
        length = self.request.headers.get("Content-Length", "")
        if length.isdecimal() and int(length) > MAX_UPDATE_BYTES:
            raise tornado.web.HTTPError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)

    def data_received(self, chunk: bytes) -> None:
        self._body += chunk  # never past MAX_UPDATE_BYTES: the server's max_body_size stops it first

    async def post(self) -> None:
        try:
            data = json.loads(self._body)
        except ValueError:
            raise tornado.web.HTTPError(HTTPStatus.BAD_REQUEST) from None
        if not (isinstance(data, dict) and isinstance(data.get("update_id"), int)):
            raise tornado.web.HTTPError(HTTPStatus.BAD_REQUEST)  # JSON, but not an update
        await self._bot_application.update_queue.put(decode_update(data, self._bot_application.bot))

    def on_finish(self) -> None:
        if self.get_status() in (HTTPStatus.FORBIDDEN, HTTPStatus.REQUEST_ENTITY_TOO_LARGE):
            logger.info("Refused a webhook request from %s: %d", self.request.remote_ip, self.get_status())

    def log_exception(self, typ, value, tb) -> None:
        """Refusals are expected, not errors; anything else is logged by the application."""
        if not isinstance(value, tornado.web.HTTPError):
            super().log_exception(typ, value, tb)


def webhook_app(application: Application, path: str, secret_token: str) -> tornado.web.Application:
    """The tornado app serving `path` for `application`."""
    handlers = [
        (f"/{path.strip('/')}/?", UpdateHandler, {"bot_application": application, "secret_token": secret_token})
    ]
    return tornado.web.Application(handlers, log_function=lambda handler: None)


async def serve_webhook(
    application: Application,
    *,
    listen: str,
    port: int,
    path: str,
    webhook_url: str,
    secret_token: str,
    allowed_updates: list[str],
) -> None:
    """Run `application` on a webhook until SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with application:
        if application.post_init:
            await application.post_init(application)
        server = HTTPServer(webhook_app(application, path, secret_token), max_body_size=MAX_UPDATE_BYTES)
        server.listen(port, address=listen)
        await application.bot.set_webhook(webhook_url, allowed_updates=allowed_updates, secret_token=secret_token)
        await application.start()
        logger.info("Webhook server listening on %s:%d", listen, port)
        try:
            await stop.wait()
        finally:
            server.stop()
            await server.close_all_connections()
            await application.stop()
    if application.post_shutdown:
        await application.post_shutdown(application)

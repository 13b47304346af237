"""The aiohttp transport: what it sends, and that failures surface as python-telegram-bot's errors."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import web
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.error import NetworkError, TimedOut
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from bot.delivery import took_no_effect
from bot.transport import AiohttpRequest


@pytest.fixture
async def server():
    """A local HTTP server whose routes misbehave on purpose; yields (base url, received requests)."""
    received: list[dict] = []

    async def echo(request: web.Request) -> web.Response:
        if request.content_type.startswith("multipart/"):
            parts = {}
            async for part in await request.multipart():
                parts[part.name] = (part.filename, await part.read())
            received.append(parts)
        elif request.content_type == "application/json":
            received.append(await request.json())
        else:
            received.append({"unexpected content type": request.content_type})
        return web.json_response({"ok": True, "result": True}, status=200)

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(1)
        return web.json_response({"ok": True, "result": True})

    async def drop(request: web.Request) -> web.Response:
        request.transport.close()
        await asyncio.sleep(1)
        return web.Response()

    async def teapot(request: web.Request) -> web.Response:
        return web.Response(status=418, body=b"short and stout")

    app = web.Application()
    app.router.add_post("/echo", echo)
    app.router.add_post("/slow", slow)
    app.router.add_post("/drop", drop)
    app.router.add_post("/teapot", teapot)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}", received
    await runner.cleanup()


@pytest.fixture
async def transport():
    request = AiohttpRequest(connection_pool_size=2, read_timeout=0.3)
    await request.initialize()
    yield request
    await request.shutdown()


def _data(**fields) -> RequestData:
    return RequestData([RequestParameter.from_input(name, value) for name, value in fields.items()])


async def test_sends_fields_as_json_and_returns_status_and_body(server, transport):
    base, received = server
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("More", callback_data="m|1")]])
    data = _data(chat_id=7, text="<b>détente</b>", reply_markup=keyboard, disable_notification=True)
    status, body = await transport.do_request(f"{base}/echo", "POST", data)
    assert status == 200
    assert body == b'{"ok": true, "result": true}'
    assert received == [
        {
            "chat_id": 7,
            "text": "<b>détente</b>",
            "reply_markup": {"inline_keyboard": [[{"text": "More", "callback_data": "m|1"}]]},
            "disable_notification": True,
        }
    ]


async def test_text_that_is_not_unicode_fails_before_sending(server, transport):
    base, received = server
    with pytest.raises(UnicodeEncodeError):
        await transport.do_request(f"{base}/echo", "POST", _data(chat_id=7, text="lone \ud800 surrogate"))
    assert received == []


async def test_sends_files_as_multipart_parts(server, transport):
    base, received = server
    document = InputFile(b"passage text", filename="kb.txt", attach=False)
    await transport.do_request(f"{base}/echo", "POST", _data(chat_id=7, document=document))
    assert received == [{"chat_id": (None, b"7"), "document": ("kb.txt", b"passage text")}]


async def test_passes_error_statuses_through_for_the_library_to_judge(server, transport):
    base, _ = server
    assert await transport.do_request(f"{base}/teapot", "POST") == (418, b"short and stout")


async def test_a_response_slower_than_the_read_timeout_is_timed_out(server, transport):
    base, _ = server
    with pytest.raises(TimedOut):
        await transport.do_request(f"{base}/slow", "POST")


async def test_a_per_call_read_timeout_overrides_the_default(server, transport):
    base, _ = server
    with pytest.raises(TimedOut):
        await transport.do_request(f"{base}/slow", "POST", read_timeout=0.1, write_timeout=0.1)


async def test_a_dropped_connection_is_a_network_error(server, transport):
    base, _ = server
    with pytest.raises(NetworkError) as caught:
        await transport.do_request(f"{base}/drop", "POST")
    assert not isinstance(caught.value, TimedOut)


async def test_a_refused_connection_is_a_network_error(transport):
    with pytest.raises(NetworkError):
        await transport.do_request("http://127.0.0.1:9/nothing", "POST")


async def test_requests_before_initialize_are_refused():
    with pytest.raises(RuntimeError, match="initialize"):
        await AiohttpRequest(connection_pool_size=1).do_request("http://127.0.0.1:9/", "POST")


async def test_waiting_for_a_pooled_connection_times_out_as_a_request_never_sent(server):
    base, _ = server
    request = AiohttpRequest(connection_pool_size=1, read_timeout=2, connect_timeout=0.1, pool_timeout=0.1)
    await request.initialize()
    try:
        hogging = asyncio.ensure_future(request.do_request(f"{base}/slow", "POST"))
        await asyncio.sleep(0.1)
        with pytest.raises(TimedOut) as caught:
            await request.do_request(f"{base}/echo", "POST")
        assert took_no_effect(caught.value)
        await hogging
    finally:
        await request.shutdown()

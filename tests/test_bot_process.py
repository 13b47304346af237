"""`policybot run` as a real process against the fake Bot API server: start-up, signals,
webhooks, and a token that never reaches the logs."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
from pathlib import Path

import aiohttp
import pytest

from tests import leak_guard
from tests.conftest import ADMIN_ID
from tests.fake_telegram import OLD_POLL, User, private_message, private_text
from tests.processes import descendants, running

POLICYBOT = str(Path(sys.executable).with_name("policybot"))
ADMIN = User("Admin", "admin", id=ADMIN_ID)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class BotProcess:
    """A `policybot run` subprocess whose stderr is collected in a file."""

    def __init__(self, process: asyncio.subprocess.Process, log: Path) -> None:
        self.process = process
        self.log = log

    @property
    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    async def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> int:
        if self.process.returncode is None:
            self.process.send_signal(sig)
        return await asyncio.wait_for(self.process.wait(), timeout)


@pytest.fixture
async def start_bot(fake, knowledge_dir, tmp_path):
    """Start `policybot run` with the given extra flags; stopped (SIGKILL if need be) afterwards."""
    started: list[BotProcess] = []

    async def start(*flags: str) -> BotProcess:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(tmp_path),
            "TELEGRAM_BOT_TOKEN": fake.token,
            "TELEGRAM_BASE_URL": fake.base_url,
            "TELEGRAM_BASE_FILE_URL": fake.base_file_url,
            "POLICYBOT_KNOWLEDGE_DIR": str(knowledge_dir),
            "POLICYBOT_DB": str(tmp_path / "kb.db"),
            "POLICYBOT_ADMINS": str(ADMIN_ID),
            "POLICYBOT_LOG_LEVEL": "DEBUG",
        }
        log = tmp_path / f"bot-{len(started)}.log"
        with log.open("wb") as sink:
            process = await asyncio.create_subprocess_exec(
                POLICYBOT, "run", *flags, env=env, stdout=sink, stderr=asyncio.subprocess.STDOUT
            )
        bot = BotProcess(process, log)
        started.append(bot)
        return bot

    yield start
    for bot in started:
        if bot.process.returncode is None:
            bot.process.kill()
            await bot.process.wait()
        leak_guard.check_text(f"output of policybot run ({bot.log.name})", bot.output)


async def test_a_killed_bot_leaves_no_process_behind(fake, start_bot):
    bot = await start_bot()
    await fake.wait_for_call("getUpdates", timeout=30)  # after post_init: the answering processes run
    helpers = descendants(bot.process.pid)
    assert len(helpers) >= 4, "the answering processes (one per core, at least two), their fork server, the tracker"
    assert await bot.stop(signal.SIGKILL) == -signal.SIGKILL
    deadline = asyncio.get_running_loop().time() + 10
    while any(map(running, helpers)):
        assert asyncio.get_running_loop().time() < deadline, f"still running: {list(filter(running, helpers))}"
        await asyncio.sleep(0.05)


async def test_polling_answers_and_stops_cleanly_on_sigterm(fake, start_bot):
    bot = await start_bot()
    await fake.wait_for_call("getUpdates", timeout=30)
    fake.push_update(private_text(User("Ann", "ann"), "minsk ii"))
    [reply] = await fake.wait_for_call("sendMessage", timeout=10)
    assert "Minsk II agreement" in reply.result["text"]
    assert await bot.stop(signal.SIGTERM) == 0
    assert "Traceback" not in bot.output


async def test_start_up_publishes_commands(fake, start_bot):
    await start_bot()
    calls = await fake.wait_for_call("setMyCommands", count=2, timeout=30)
    scopes = {c.params["scope"]["type"] for c in calls}
    assert scopes == {"all_private_chats", "all_group_chats"}


async def test_sighup_reloads_the_knowledge_base(fake, start_bot, knowledge_dir):
    bot = await start_bot()
    await fake.wait_for_call("getUpdates", timeout=30)
    (knowledge_dir / "airships.md").write_text("---\ntitle: Airships\n---\n\nThe zeppelin flew.\n", encoding="utf-8")
    bot.process.send_signal(signal.SIGHUP)
    for _ in range(100):
        if "Knowledge base reloaded" in bot.output:
            break
        await asyncio.sleep(0.2)
    assert "Knowledge base reloaded" in bot.output and "1 added" in bot.output
    fake.push_update(private_text(User("Ann", "ann"), "zeppelin"))
    [reply] = await fake.wait_for_call("sendMessage", timeout=10)
    assert "The zeppelin flew." in reply.result["text"]


async def test_the_token_never_reaches_the_logs(fake, start_bot):
    bot = await start_bot()
    await fake.wait_for_call("getUpdates", timeout=30)
    fake.push_update(private_text(User("Ann", "ann"), "minsk ii"))
    await fake.wait_for_call("sendMessage", timeout=10)
    await bot.stop()
    output = bot.output
    assert "getUpdates" in output or "sendMessage" in output or "policybot is up" in output  # it did log
    assert fake.token not in output
    assert fake.token.split(":", 1)[1] not in output


async def test_a_missing_token_is_a_clear_error(tmp_path):
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "POLICYBOT_DB": str(tmp_path / "kb.db")}
    process = await asyncio.create_subprocess_exec(
        POLICYBOT, "run", env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    _, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 1
    assert b"TELEGRAM_BOT_TOKEN" in err and b"Traceback" not in err


async def test_a_rejected_token_is_reported_without_the_token(fake, start_bot, tmp_path):
    env_token = "123456:not-the-right-token"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "TELEGRAM_BOT_TOKEN": env_token,
        "TELEGRAM_BASE_URL": fake.base_url,
        "POLICYBOT_DB": str(tmp_path / "kb2.db"),
    }
    process = await asyncio.create_subprocess_exec(
        POLICYBOT, "run", env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    out, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 1
    assert b"rejected the bot token" in out
    assert env_token.encode() not in out and b"not-the-right-token" not in out


async def post_until_listening(session: aiohttp.ClientSession, url: str, **kwargs) -> int:
    """POST once the webhook server listens (bounded wait); the response status."""
    for _ in range(100):
        try:
            async with session.post(url, **kwargs) as response:
                return response.status
        except aiohttp.ClientConnectionError:
            await asyncio.sleep(0.1)
    raise AssertionError(f"nothing listens at {url}")


async def chunks(size: int, chunk: int = 64 * 1024):
    """A body of `size` bytes sent chunked, without a Content-Length."""
    for _ in range(size // chunk):
        yield b" " * chunk


@pytest.fixture
async def webhook_bot(fake, start_bot):
    """`policybot run` in webhook mode on a free port; yields the bot and the local URL Telegram posts to."""
    port = free_port()
    bot = await start_bot(
        "--webhook-url", "https://bot.example/hook", "--listen", "127.0.0.1", "--port", str(port),
        "--secret-token", SECRET,
    )  # fmt: skip
    await fake.wait_for_call("setWebhook", timeout=30)
    return bot, f"http://127.0.0.1:{port}/hook"


SECRET = "s3cret-value"
JSON = {"Content-Type": "application/json"}
SIGNED = {**JSON, "X-Telegram-Bot-Api-Secret-Token": SECRET}


async def test_webhook_mode_refuses_requests_without_the_secret(fake, webhook_bot):
    bot, url = webhook_bot
    assert fake.webhook_url == "https://bot.example/hook"
    body = json.dumps(fake.push_update(private_text(User("Ann", "ann"), "minsk ii"))).encode()
    async with aiohttp.ClientSession() as session:
        refused = await post_until_listening(session, url, data=body, headers=JSON)
        wrong = await post_until_listening(
            session, url, data=body, headers={**JSON, "X-Telegram-Bot-Api-Secret-Token": "wrong"}
        )
        accepted = await post_until_listening(session, url, data=body, headers=SIGNED)
    assert (refused, wrong, accepted) == (403, 403, 200)
    [reply] = await fake.wait_for_call("sendMessage", timeout=10)
    assert "Minsk II agreement" in reply.result["text"]
    assert SECRET not in bot.output
    assert await bot.stop() == 0


async def test_webhook_mode_refuses_bodies_over_the_limit_and_keeps_answering(fake, webhook_bot):
    from bot.webhook import MAX_UPDATE_BYTES

    bot, url = webhook_bot
    update = fake.push_update(private_text(User("Ann", "ann"), "minsk ii"))
    padded = json.dumps(update).encode().ljust(MAX_UPDATE_BYTES + 1)  # valid JSON, one byte too many
    async with aiohttp.ClientSession() as session:
        statuses = [
            await post_until_listening(session, url, data=padded, headers=SIGNED),
            await post_until_listening(session, url, data=b" " * 50_000_000, headers=SIGNED),
            await post_until_listening(session, url, data=chunks(2 * MAX_UPDATE_BYTES), headers=SIGNED),
            await post_until_listening(session, url, data=b" " * 2_000_000, headers=JSON),  # no secret: 403 first
            await post_until_listening(session, url, data=b"[1, 2", headers=SIGNED),
            await post_until_listening(session, url, data=padded.strip(), headers=SIGNED),
        ]
    assert statuses == [413, 413, 400, 403, 400, 200]  # a chunked body is cut off by tornado (400)
    [reply] = await fake.wait_for_call("sendMessage", timeout=10)
    assert "Minsk II agreement" in reply.result["text"]
    assert await bot.stop() == 0
    assert "Traceback" not in bot.output


async def test_webhook_mode_skips_an_update_the_library_cannot_decode(fake, webhook_bot):
    bot, url = webhook_bot
    user = User("Ann", "ann")
    undecodable = fake.push_update(private_message(user, {"poll": OLD_POLL}))
    question = fake.push_update(private_text(user, "minsk ii"))
    async with aiohttp.ClientSession() as session:
        statuses = [
            await post_until_listening(session, url, data=b'{"message": {}}', headers=SIGNED),  # no update_id
            await post_until_listening(session, url, data=json.dumps(undecodable).encode(), headers=SIGNED),
            await post_until_listening(session, url, data=json.dumps(question).encode(), headers=SIGNED),
        ]
    assert statuses == [400, 200, 200]  # a 200 for the skipped one, or Telegram would redeliver it
    [reply] = await fake.wait_for_call("sendMessage", timeout=10)
    assert "Minsk II agreement" in reply.result["text"]
    assert await bot.stop() == 0
    assert f"Skipped update {undecodable['update_id']} (message)" in bot.output
    assert "Traceback" not in bot.output

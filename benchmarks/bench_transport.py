"""CPU per Bot API request: python-telegram-bot's httpx client against policybot's aiohttp one, side by side.

A minimal Bot API stand-in (aiohttp, 127.0.0.1, its own process so its CPU is not counted)
answers every POST with `{"ok": true, ...}`. Each client sends the same `sendMessage`-sized
parameters through `BaseRequest.post` (python-telegram-bot's own request path; httpx
sends them urlencoded, `bot/transport.py` as JSON, each as the bot would) with `--concurrency`
requests in flight over a pool of `--pool` connections; the clients take turns for `--rounds`
rounds and the table shows the median of the rounds.

    python benchmarks/bench_transport.py [--requests 3000] [--concurrency 32] [--pool 8] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import resource
import statistics
import sys
import time
from pathlib import Path

from aiohttp import web
from telegram.request import HTTPXRequest, RequestData
from telegram.request._requestparameter import RequestParameter

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bot.transport import AiohttpRequest  # noqa: E402

MAX_REQUESTS = 100_000
ANSWER_TEXT = "x" * 800  # about the size of an answer with three quotes


def serve(port: int) -> None:
    """The Bot API stand-in: every method succeeds."""

    async def ok(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response({"ok": True, "result": {"message_id": 1, "date": 0, "chat": {"id": 1}}})

    app = web.Application()
    app.router.add_post("/{token}/{method}", ok)
    web.run_app(app, host="127.0.0.1", port=port, print=None)


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def one_round(request, url: str, count: int, concurrency: int) -> tuple[float, float]:
    """(CPU ms per request, requests per second) for `count` requests."""
    data = RequestData([RequestParameter.from_input(k, v) for k, v in {"chat_id": 1, "text": ANSWER_TEXT}.items()])
    gate = asyncio.Semaphore(concurrency)

    async def send() -> None:
        async with gate:
            await request.post(url, data)

    cpu, wall = cpu_seconds(), time.perf_counter()
    await asyncio.gather(*(send() for _ in range(count)))
    return (cpu_seconds() - cpu) / count * 1000, count / (time.perf_counter() - wall)


async def wait_until_up(url: str, request) -> None:
    for _ in range(100):
        try:
            await request.post(url)
            return
        except Exception:
            await asyncio.sleep(0.05)
    raise SystemExit("the stand-in server did not start")


async def measure(args, url: str) -> dict[str, list[tuple[float, float]]]:
    clients = {
        "httpx (python-telegram-bot default)": HTTPXRequest(connection_pool_size=args.pool),
        "aiohttp (bot/transport.py)": AiohttpRequest(connection_pool_size=args.pool),
    }
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in clients}
    for client in clients.values():
        await client.initialize()
    await wait_until_up(url, next(iter(clients.values())))
    for client in clients.values():
        await one_round(client, url, min(300, args.requests), args.concurrency)  # warm-up
    for _ in range(args.rounds):
        for name, client in clients.items():
            results[name].append(await one_round(client, url, args.requests, args.concurrency))
    for client in clients.values():
        await client.shutdown()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3_000, help=f"requests per round (at most {MAX_REQUESTS})")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--pool", type=int, default=8, help="connections per client")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--port", type=int, default=18_555)
    args = parser.parse_args()
    if not 0 < args.requests <= MAX_REQUESTS:
        parser.error(f"--requests must be between 1 and {MAX_REQUESTS}")
    server = multiprocessing.get_context("spawn").Process(target=serve, args=(args.port,), daemon=True)
    server.start()
    try:
        results = asyncio.run(measure(args, f"http://127.0.0.1:{args.port}/bot1/sendMessage"))
    finally:
        server.terminate()
        server.join(5)
    print(f"{args.requests} requests x {args.rounds} rounds, {args.concurrency} in flight, pool {args.pool}\n")
    print("| client | CPU ms / request (median) | requests/s (median) |")
    print("|---|---|---|")
    medians = {}
    for name, rounds in results.items():
        cpu = statistics.median(r[0] for r in rounds)
        rate = statistics.median(r[1] for r in rounds)
        medians[name] = cpu
        print(f"| {name} | {cpu:.2f} | {rate:,.0f} |")
    httpx_cpu, aiohttp_cpu = medians.values()
    print(f"\nCPU ratio httpx / aiohttp: {httpx_cpu / aiohttp_cpu:.1f}x")


if __name__ == "__main__":
    main()

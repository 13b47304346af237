"""One answering process's latency: `KnowledgeBase.ask` and `ask_each` as the workers run them.

A synthetic knowledge base is built as `bench_bot.py` builds it (or `--db` reuses one), then
the same questions (`bench_bot.questions`: random corpus words, content and common mixes
alternating, ask and inline `ask_each(..., 10)` alternating) are answered twice in one
process, in two garbage-collection regimes, so the difference is measured side by side:

- **default**: Python's collector as it comes; its full collections walk every object the
  knowledge base and the memos hold.
- **frozen** (what `bot/answer_pool.py` does): `gc.freeze()` after each question
  (`bot/heap.py`).

Each regime starts from a freshly opened knowledge base and answers `--warm-up` questions
before the `--questions` that are timed. The full collections during the timed questions are
counted and timed with `gc.callbacks`.

    python benchmarks/bench_ask.py --passages 100000 [--questions 2000] [--db KB.DB]
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench_bot import questions, write_documents

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bot.heap import freeze_survivors  # noqa: E402
from bot.inline import MAX_RESULTS  # noqa: E402
from bot.settings import BUNDLED_SYNONYMS  # noqa: E402
from retrieval.knowledge_base import KnowledgeBase, rebuild  # noqa: E402

MAX_QUESTIONS = 20_000


def measure(db: Path, prompts: list[str], warm_up: int, frozen: bool) -> dict[str, float]:
    """Latencies (ms) of answering `prompts[warm_up:]` on a fresh knowledge base, and its full collections."""
    gc.unfreeze()
    gc.collect()
    kb = KnowledgeBase.open(db, BUNDLED_SYNONYMS)
    full: list[float] = []
    started: list[float] = []

    def watch(phase: str, info: dict) -> None:
        if info["generation"] == 2:
            if phase == "start":
                started.append(time.perf_counter())
            elif started:
                full.append(time.perf_counter() - started.pop())

    latencies = []
    gc.callbacks.append(watch)
    try:
        for i, prompt in enumerate(prompts):
            begun = time.perf_counter()
            if i % 2:
                kb.ask_each(prompt, MAX_RESULTS)
            else:
                kb.ask(prompt)
            if frozen:
                freeze_survivors()
            if i == warm_up - 1:
                full.clear()
            elif i >= warm_up:
                latencies.append((time.perf_counter() - begun) * 1000)
    finally:
        gc.callbacks.remove(watch)
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))]

    return {
        "p50": pct(50),
        "p95": pct(95),
        "p99": pct(99),
        "max": latencies[-1],
        "mean": statistics.fmean(latencies),
        "full collections": len(full),
        "longest collection": max(full, default=0.0) * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=100_000, help="passages in the knowledge base")
    parser.add_argument("--questions", type=int, default=2_000, help=f"questions timed (at most {MAX_QUESTIONS})")
    parser.add_argument("--warm-up", type=int, default=300, help="questions answered before timing")
    parser.add_argument("--db", type=Path, help="an existing knowledge base to use instead of building one")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if not 1 <= args.questions <= MAX_QUESTIONS or args.warm_up < 0 or args.passages < 1:
        parser.error(f"need 1 to {MAX_QUESTIONS} questions, a warm-up of 0 or more and at least 1 passage")
    prompts = questions(args.warm_up + args.questions, args.seed + 1)
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="policybot-bench-ask-") as tmp:
        db = args.db
        if db is None:
            folder, db = Path(tmp) / "documents", Path(tmp) / "kb.db"
            folder.mkdir()
            write_documents(folder, args.passages, args.seed)
            rebuild(folder, db)
        kb = KnowledgeBase.open(db, BUNDLED_SYNONYMS)
        passages = kb.passage_count
        del kb
        regimes = (("default", False), ("frozen", True))
        rows = {name: measure(db, prompts, args.warm_up, frozen) for name, frozen in regimes}
    print(
        f"{passages:,} passages · {args.questions:,} questions timed after {args.warm_up:,} "
        f"(ask and ask_each({MAX_RESULTS}) alternating) · load average before: {load:.2f}"
    )
    print()
    columns = list(rows["default"])
    print("| collector | " + " | ".join(f"{c} (ms)" if c not in ("full collections",) else c for c in columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for name, row in rows.items():
        cells = [f"{row[c]:.0f}" if c == "full collections" else f"{row[c]:.2f}" for c in columns]
        print(f"| {name} | " + " | ".join(cells) + " |")
    ratios = ", ".join(f"{c} {rows['default'][c] / rows['frozen'][c]:.2f}×" for c in ("p50", "p95", "p99", "max"))
    print(f"\ndefault / frozen: {ratios}")


if __name__ == "__main__":
    main()

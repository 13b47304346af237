"""`KnowledgeBase.ask` latency of two or more checkouts of policybot, side by side on one store.

Each checkout answers the same questions (`bench_bot.questions`) from the same built store in
a fresh process of its own, with its own code first on `sys.path`; checkouts take turns for
`--rounds` rounds. Python's garbage collector runs as it comes in every checkout (the
answering processes' freezing is measured by `bench_ask.py`). Use it to compare a change with
the commit before it:

    git worktree add /tmp/before <commit>
    python benchmarks/ask_checkouts.py --db KB.DB /tmp/before .

The store must be one all the checkouts can open (same schema and index format).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

MAX_QUESTIONS = 20_000

# Run in the child: time `ask` on questions from `bench_bot.questions`, print JSON.
_CHILD = """
import json, statistics, sys, time
checkout, db, count, warm_up, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
sys.path[:0] = [checkout, checkout + "/benchmarks"]
from pathlib import Path
from bench_bot import questions
import retrieval.knowledge_base as knowledge_base
from retrieval.knowledge_base import KnowledgeBase
assert knowledge_base.__file__.startswith(checkout), knowledge_base.__file__
kb = KnowledgeBase.open(Path(db), Path(checkout) / "knowledge" / "synonyms.txt")
prompts = questions(warm_up + count, seed)
for prompt in prompts[:warm_up]:
    kb.ask(prompt)
times = []
for prompt in prompts[warm_up:]:
    begun = time.perf_counter()
    kb.ask(prompt)
    times.append((time.perf_counter() - begun) * 1000)
times.sort()
p50, p95 = times[len(times) // 2], times[int(len(times) * 0.95)]
print(json.dumps({"p50": p50, "p95": p95, "mean": statistics.fmean(times)}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkouts", nargs="+", type=Path, help="policybot checkouts (folders) to compare")
    parser.add_argument("--db", type=Path, required=True, help="a built knowledge base they all can open")
    parser.add_argument("--questions", type=int, default=2_000, help=f"questions timed (at most {MAX_QUESTIONS})")
    parser.add_argument("--warm-up", type=int, default=50, help="questions answered before timing")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    if not 1 <= args.questions <= MAX_QUESTIONS or args.rounds < 1 or args.warm_up < 0:
        parser.error(f"need 1 to {MAX_QUESTIONS} questions, at least one round and a warm-up of 0 or more")
    load = os.getloadavg()[0]
    results: dict[Path, list[dict]] = {checkout.resolve(): [] for checkout in args.checkouts}
    for _ in range(args.rounds):
        for checkout in results:
            command = [sys.executable, "-c", _CHILD, str(checkout), str(args.db)]
            command += [str(args.questions), str(args.warm_up), str(args.seed)]
            out = subprocess.run(command, check=True, capture_output=True, text=True, timeout=900).stdout
            results[checkout].append(json.loads(out))
    print(f"{args.questions:,} questions after {args.warm_up} untimed, {args.rounds} rounds · load average: {load:.2f}")
    print()
    print("| checkout | p50 ms per round | p95 ms per round | mean ms per round |")
    print("|---|---|---|---|")
    for checkout, rounds in results.items():
        cells = [" / ".join(f"{r[key]:.2f}" for r in rounds) for key in ("p50", "p95", "mean")]
        print(f"| {checkout} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()

"""Keeping Python's cyclic garbage collector from stalling answers.

A full collection walks every object alive: with a 100,000-passage knowledge base and
warm memos that took ~0.6 s in an answering process (and ~45 ms in the bot's own process),
a stall for whichever question it lands in. What a question or update leaves alive (the
knowledge base, its memos) holds no reference cycles that ever become garbage (checked by
a test), so it is frozen: the collector then watches only what is new, and reference
counting still frees memos as they are replaced. The exception is a knowledge base taken
out of service after a reload: it holds cycles (an SQLite connection always does), so only
a collection frees it. The answering processes never need one (a reload replaces them,
`bot.answer_pool`); the bot's own process makes one at start-up and one per reload.

The bot's process also collects its youngest generation less often than Python's default
(every 700 new objects): under load it holds thousands of updates waiting their turn, which
each young collection moved on and the older generations then walked again and again.
"""

from __future__ import annotations

import gc

# New tracked objects between two collections of the youngest generation. In a 2,000-question
# burst (benchmarks/bench_bot.py's), the bot's process spent 120–230 ms of ~4 s of CPU in
# collections with Python's 700, among them a full one, and 41–84 ms with this (none full).
YOUNG_COLLECTION_EVERY = 10_000


def freeze_survivors() -> None:
    """Exempt everything alive now from future collections."""
    gc.freeze()


def collect_young_less_often() -> None:
    """Collect the youngest generation every YOUNG_COLLECTION_EVERY new objects (this process)."""
    gc.set_threshold(YOUNG_COLLECTION_EVERY, *gc.get_threshold()[1:])


def collect_out_of_service() -> None:
    """Free what was frozen and has become cyclic garbage since (an old knowledge base): one full collection."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()

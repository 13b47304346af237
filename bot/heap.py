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
"""

from __future__ import annotations

import gc


def freeze_survivors() -> None:
    """Exempt everything alive now from future collections."""
    gc.freeze()


def collect_out_of_service() -> None:
    """Free what was frozen and has become cyclic garbage since (an old knowledge base): one full collection."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()

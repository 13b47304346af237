"""`/reload` through the real bot on broken knowledge folders: the admin is told each bad file and
why, and the knowledge base in service answers exactly as before (the build is refused whole)."""

from __future__ import annotations

import pytest

from bot import texts
from tests.bot_helpers import WAIT, ask_privately, in_chat, sent_to
from tests.conftest import ADMIN_ID
from tests.fake_telegram import User, private_text
from tests.knowledge_faults import FAULTS

ADMIN = User("Ada", "ada_admin", id=ADMIN_ID)
QUESTION = "What is the Minsk II agreement?"


def as_seen(reply: dict) -> tuple:
    """What a reader sees of a reply: its text and formatting."""
    return reply["text"], reply.get("entities")


async def reload_outcome(fake) -> str:
    fake.push_update(private_text(ADMIN, "/reload"))
    await sent_to(fake, ADMIN_ID)  # "Reloading…"
    [edit] = await fake.wait_for_call("editMessageText", predicate=in_chat(ADMIN_ID), timeout=WAIT)
    assert edit.ok, edit.description
    return edit.result["text"]


@pytest.mark.parametrize("fault", FAULTS, ids=str)
async def test_a_bad_entry_fails_the_reload_and_the_old_answers_stay(fault, fake, knowledge_dir, policybot, tmp_path):
    before = as_seen(await ask_privately(fake, User("Quinn", "quinn"), QUESTION))
    fault.make(knowledge_dir, tmp_path / "outside")

    outcome = await reload_outcome(fake)

    assert outcome.startswith(texts.RELOAD_FAILED.format(reason=""))
    assert f"• {fault.line}" in outcome
    assert as_seen(await ask_privately(fake, User("Rita", "rita"), QUESTION)) == before
    assert fake.rejections == []

"""Security checks: who counts as an admin (bot/access.py, the one check), SQL only with
parameters, and nothing a message says reaching a file path."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from telegram import Bot, Update

from bot import texts
from bot.access import is_admin
from tests.bot_helpers import WAIT, ask_privately, in_chat, sent_to
from tests.conftest import ADMIN_ID
from tests.fake_telegram import (
    GROUP_ANONYMOUS_BOT,
    Chat,
    User,
    callback_query,
    channel_post,
    forwarded_from,
    group_text,
    private_text,
)
from tests.sql_check import unsafe_sql, unsafe_sql_in

ROOT = Path(__file__).parent.parent
ADMIN = User("Ada", "ada_admin", id=ADMIN_ID)
MALLORY = User("Mallory", "mallory")
IMPOSTOR = User("Ada", "ada_admin", id=ADMIN_ID + 1)
GROUP = Chat.supergroup()
BOT = Bot("123:test")


def update_of(raw: dict) -> Update:
    """A real telegram `Update`, parsed from the JSON Telegram would send (the fake server numbers messages)."""
    for kind in ("message", "channel_post"):
        if kind in raw:
            raw = {kind: {"message_id": 1, **raw[kind]}}
    return Update.de_json({"update_id": 1, **raw}, BOT)


def bot_message(chat: Chat) -> dict:
    """A message the bot sent in `chat`, for a button under it."""
    return {"message_id": 7, "date": 0, "chat": chat.to_dict(), "from": {"id": 1, "is_bot": True, "first_name": "B"}}


# --- who is an admin: the one check, against impersonation -----------------------------------

ADMINS = frozenset({ADMIN_ID})
ADMIN_FORWARDS = private_text(ADMIN, "/reload", forward_origin=forwarded_from(MALLORY))
CASES = {
    "the admin in private": (private_text(ADMIN, "/reload"), True),
    "the admin in a group": (group_text(GROUP, ADMIN, "/reload"), True),
    "the admin forwarding another's message": (ADMIN_FORWARDS, True),
    "a non-admin": (private_text(MALLORY, "/reload"), False),
    "the admin's name and username on another id": (private_text(IMPOSTOR, "/reload"), False),
    "a non-admin forwarding the admin's message": (
        private_text(MALLORY, "/reload", forward_origin=forwarded_from(ADMIN)),
        False,
    ),
    "the same forward in a group": (group_text(GROUP, MALLORY, "/reload", forward_origin=forwarded_from(ADMIN)), False),
    "an anonymous group admin": (group_text(GROUP, None, "/reload", sender_chat=GROUP), False),
    "a channel post": (channel_post(Chat.channel(), "/reload"), False),
    "a button pressed by a non-admin": (callback_query(MALLORY, bot_message(GROUP), "s|x"), False),
    "a button pressed by the admin": (callback_query(ADMIN, bot_message(GROUP), "s|x"), True),
}  # fmt: skip


@pytest.mark.parametrize("name", CASES)
def test_only_the_admins_numeric_id_counts(name):
    raw, expected = CASES[name]
    assert is_admin(update_of(raw), ADMINS) is expected


def test_an_anonymous_group_admin_is_refused_even_if_its_placeholder_id_is_listed():
    anonymous = update_of(group_text(GROUP, None, "/reload", sender_chat=GROUP))
    assert anonymous.effective_user.id == GROUP_ANONYMOUS_BOT.id == 1087968824
    assert not is_admin(anonymous, frozenset({GROUP_ANONYMOUS_BOT.id}))


def test_the_admin_list_is_consulted_in_one_place():
    uses = {
        f"{path.relative_to(ROOT)}: {line.strip()}"
        for path in sorted((ROOT / "bot").glob("*.py"))
        if path.name not in ("settings.py", "cli.py", "texts.py")
        for line in path.read_text(encoding="utf-8").splitlines()
        if re.search(r"\badmins\b", line) and not line.lstrip().startswith(('"""', "#"))
    }
    assert uses == {
        "bot/access.py: def is_admin(update: Update, admins: frozenset[int]) -> bool:",
        "bot/access.py: return user.id in admins",
        "bot/admin.py: if not is_admin(update, shared.settings.admins):",
    }


# --- SQL only with parameters ----------------------------------------------------------------


def test_no_sql_is_built_from_data():
    assert unsafe_sql_in([ROOT / "bot", ROOT / "knowledge", ROOT / "retrieval"]) == []


@pytest.mark.parametrize(
    "code",
    [
        'db.execute(f"select * from passages where id = {passage_id}")',
        "db.execute(\"select * from documents where id = '%s'\" % doc_id)",
        'db.execute("delete from documents where id = " + doc_id)',
        'sql = "select text from passages where id = {}".format(passage_id)',
        'db.execute(f"pragma cache_size = {size}")',
    ],
)
def test_the_sql_check_catches_sql_built_from_data(code):
    assert len(unsafe_sql(code)) == 1


# --- nothing from a message reaches a file path ------------------------------------------------

DONE = re.compile(r"Knowledge base reloaded in [\d.]+s: 1 documents, \d+ passages \(0 added, 0 changed, 0 removed\)\.")


@pytest.fixture
def elsewhere(tmp_path) -> Path:
    """A folder of documents outside the knowledge folder, with a word no real document has."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    (folder / "planted.md").write_text("---\ntitle: Planted\n---\n\nThe quokka smuggled the files.\n")
    return folder


@pytest.mark.parametrize(
    "argument", ["{elsewhere}", "../elsewhere", "../../../../etc/passwd", "--knowledge {elsewhere}"]
)
async def test_reload_arguments_never_name_the_folder(argument, fake, policybot, elsewhere):
    fake.push_update(private_text(ADMIN, f"/reload {argument.format(elsewhere=elsewhere)}"))
    await sent_to(fake, ADMIN_ID)
    [edit] = await fake.wait_for_call("editMessageText", predicate=in_chat(ADMIN_ID), timeout=WAIT)
    assert DONE.fullmatch(edit.result["text"]), edit.result["text"]  # the configured folder, unchanged
    reply = await ask_privately(fake, MALLORY, "what did the quokka smuggle?")
    assert reply["text"].startswith(texts.NOT_COVERED)


class FileOpens:
    """Every path this process opens while `recording` (a sys audit hook; hooks cannot be removed)."""

    installed: FileOpens | None = None

    def __init__(self) -> None:
        self.recording = False
        self.paths: list[str] = []
        sys.addaudithook(self._hook)

    def _hook(self, event: str, args: tuple) -> None:
        if self.recording and event == "open" and isinstance(args[0], str | bytes | Path):
            self.paths.append(str(args[0]))


@pytest.fixture
def file_opens() -> FileOpens:
    opens = FileOpens.installed = FileOpens.installed or FileOpens()
    opens.paths.clear()
    yield opens
    opens.recording = False


def test_the_file_open_recorder_sees_an_open(file_opens, tmp_path):
    file_opens.recording = True
    (tmp_path / "seen.txt").write_text("x")
    file_opens.recording = False
    assert file_opens.paths == [str(tmp_path / "seen.txt")]


@pytest.mark.parametrize("question", ["../../../../etc/passwd", "/etc/passwd", "file:///etc/shadow", "~/.ssh/id_rsa"])
async def test_a_question_that_looks_like_a_path_opens_no_file(question, fake, policybot, file_opens):
    await ask_privately(fake, MALLORY, "minsk ii")  # warm: anything opened once per process is open now
    file_opens.recording = True
    reply = await ask_privately(fake, User("Pat", "pat"), question)
    file_opens.recording = False
    assert file_opens.paths == []
    assert "root:" not in reply["text"]

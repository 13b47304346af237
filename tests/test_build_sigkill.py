"""A build killed with SIGKILL mid-way: the store in service is untouched, the lock is free, its
worker processes exit, leftovers go.

This is the crash `knowledge/build.py` is shaped for (temp file + sidecar, then one `os.replace`
under an flock): no `finally` runs, so only the design can keep the old store whole.
"""

from __future__ import annotations

import fcntl
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.render.json_answer import answer_to_json
from bot.settings import BUNDLED_SYNONYMS
from retrieval.knowledge_base import KnowledgeBase, rebuild
from tests.processes import children, running

POLICYBOT = str(Path(sys.executable).with_name("policybot"))
QUESTIONS = ("What is the Minsk II agreement?", "three principles of a right détente", "sanctions on iran")
# Synthetic documents: enough text (about 12 MB) that indexing takes several seconds.
DOCUMENTS, WORDS_PER_DOCUMENT = 300, 6_000
WAIT = 60.0  # seconds any bounded wait may take


def answers(db_path: Path) -> list[dict]:
    kb = KnowledgeBase.open(db_path, BUNDLED_SYNONYMS)
    try:
        return [answer_to_json(kb.ask(question)) for question in QUESTIONS]
    finally:
        kb.store.close()


def write_corpus(folder: Path) -> None:
    rng = random.Random(5)
    vocabulary = ["".join(rng.choices("abcdefghiklmnoprstuvw", k=rng.randint(3, 9))) for _ in range(20_000)]
    for n in range(DOCUMENTS):
        words = rng.choices(vocabulary, k=WORDS_PER_DOCUMENT)
        paragraphs = [" ".join(words[i : i + 60]) + "." for i in range(0, len(words), 60)]
        (folder / f"synthetic-{n:04}.md").write_text(
            f"---\ntitle: Synthetic {n}\n---\n\n## Part\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8"
        )


def wait_until(condition, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.01)


def temp_files(db_path: Path) -> list[Path]:
    return list(db_path.parent.glob(f".{db_path.name}.*.tmp"))


def lock_is_held(db_path: Path) -> bool:
    with open(f"{db_path}.lock", "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(lock, fcntl.LOCK_UN)
        return False


def index_process(knowledge_dir: Path, db_path: Path) -> subprocess.Popen:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(db_path.parent)}
    command = [POLICYBOT, "index", "--knowledge", str(knowledge_dir), "--db", str(db_path)]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.fixture
def served(knowledge_dir, tmp_path) -> tuple[Path, list[dict]]:
    """A store built from the bundled documents, and its answers, taken before any kill."""
    db_path = tmp_path / "data" / "kb.db"
    rebuild(knowledge_dir, db_path)
    return db_path, answers(db_path)


def test_a_build_killed_mid_way_leaves_the_old_store_whole_and_the_lock_free(knowledge_dir, served):
    db_path, before = served
    store_before = db_path.read_bytes()
    write_corpus(knowledge_dir)

    build = index_process(knowledge_dir, db_path)
    wait_until(lambda: temp_files(db_path) and lock_is_held(db_path), "the build to start writing")
    time.sleep(1.0)  # well into indexing: the temp store fills while the lock is held
    assert build.poll() is None, "the build finished before it could be killed; make the corpus larger"
    workers = children(build.pid)
    assert workers, "the build reads this corpus in worker processes"
    build.send_signal(signal.SIGKILL)
    assert build.wait(WAIT) == -signal.SIGKILL
    wait_until(lambda: not any(map(running, workers)), "the build's worker processes to exit after it")
    build.stdout.close()
    build.stderr.close()

    assert temp_files(db_path), "the kill left no trace, so it did not land mid-build"
    assert db_path.read_bytes() == store_before
    assert answers(db_path) == before
    assert not lock_is_held(db_path)

    started = time.monotonic()
    again = index_process(knowledge_dir, db_path)
    out, err = again.communicate(timeout=WAIT)
    assert again.returncode == 0, err.decode()
    assert f"{DOCUMENTS + 1} documents" in out.decode()
    seconds = time.monotonic() - started
    [sidecar] = db_path.parent.glob(f"{db_path.name}.*.arrays")
    assert sorted(os.listdir(db_path.parent)) == sorted([db_path.name, f"{db_path.name}.lock", sidecar.name])
    new_minsk = answers(db_path)[0]
    assert new_minsk["hits"][0]["passage_id"] == before[0]["hits"][0]["passage_id"]  # scores change with the corpus
    print(f"next build after the kill: {seconds:.1f}s")

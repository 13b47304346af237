"""`policybot index` on broken knowledge folders: every bad file named with its reason, the store untouched.

The policy under test (knowledge/build.py): any bad entry refuses the whole build, so the
knowledge base in service stays whole and answers exactly as before.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import bot.cli
from bot.render.json_answer import answer_to_json
from bot.settings import BUNDLED_SYNONYMS
from knowledge.build import BuildError
from retrieval.knowledge_base import KnowledgeBase, rebuild
from tests.knowledge_faults import FAULTS, SECRET, VANISHED_LINE, delete_after_first, doomed_document, write_huge

QUESTION = "What is the Minsk II agreement?"


def answer_of(db_path: Path) -> dict:
    """The full JSON answer to QUESTION from the store at `db_path`."""
    kb = KnowledgeBase.open(db_path, BUNDLED_SYNONYMS)
    try:
        return answer_to_json(kb.ask(QUESTION))
    finally:
        kb.store.close()


def fingerprint(db_path: Path) -> tuple[str, list[str]]:
    """The store's bytes (hashed) and the names in its folder, to show a refused build changed nothing."""
    return hashlib.sha256(db_path.read_bytes()).hexdigest(), sorted(os.listdir(db_path.parent))


@pytest.fixture
def db_path(tmp_path) -> Path:
    path = tmp_path / "data" / "kb.db"
    path.parent.mkdir()
    return path


@pytest.fixture
def built(knowledge_dir, db_path) -> dict:
    """The good folder indexed once; returns the answer it gives."""
    rebuild(knowledge_dir, db_path)
    return answer_of(db_path)


def index(knowledge_dir: Path, db_path: Path):
    return CliRunner().invoke(bot.cli.main, ["index", "--knowledge", str(knowledge_dir), "--db", str(db_path)])


@pytest.mark.parametrize("fault", FAULTS, ids=str)
def test_a_bad_entry_refuses_the_index_naming_the_file_and_reason(fault, knowledge_dir, db_path, built, tmp_path):
    before = fingerprint(db_path)
    fault.make(knowledge_dir, tmp_path / "outside")

    result = index(knowledge_dir, db_path)

    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert "knowledge base not rebuilt, 1 document(s) need fixing" in result.stderr
    assert f"  {fault.line}" in result.stderr
    assert fingerprint(db_path) == before
    assert answer_of(db_path) == built


def test_every_bad_entry_is_reported_in_one_run(knowledge_dir, db_path, built, tmp_path):
    for fault in FAULTS:
        fault.make(knowledge_dir, tmp_path / "outside")
    result = index(knowledge_dir, db_path)
    assert result.exit_code == 1
    assert f"{len(FAULTS)} document(s) need fixing" in result.stderr
    reported = [line.strip() for line in result.stderr.splitlines() if line.startswith("  ")]
    assert [any(line.startswith(f.line) for line in reported) for f in FAULTS] == [True] * len(FAULTS)
    assert answer_of(db_path) == built


def test_nothing_outside_the_folder_reaches_the_store(knowledge_dir, db_path, built, tmp_path):
    for fault in FAULTS:
        if "outside" in fault.name or "folder" in fault.name:
            fault.make(knowledge_dir, tmp_path / "outside")
    index(knowledge_dir, db_path)
    (knowledge_dir / "leak.md").unlink()
    (knowledge_dir / "linked").unlink()
    rebuild(knowledge_dir, db_path)  # the folder is good again
    assert SECRET.encode() not in db_path.read_bytes()
    assert answer_of(db_path) == built


def test_a_file_deleted_between_the_scan_and_its_read_refuses_the_build(knowledge_dir, db_path, built):
    before = fingerprint(db_path)
    doomed = doomed_document(knowledge_dir)
    with pytest.raises(BuildError) as info:
        rebuild(knowledge_dir, db_path, progress=delete_after_first(doomed))
    assert [str(problem) for problem in info.value.problems] == [VANISHED_LINE]
    assert fingerprint(db_path) == before
    assert answer_of(db_path) == built


def test_index_reports_a_file_deleted_while_it_runs(knowledge_dir, db_path, built, monkeypatch):
    doomed = doomed_document(knowledge_dir)
    monkeypatch.setattr(bot.cli, "progress_bar", lambda: delete_after_first(doomed))
    result = index(knowledge_dir, db_path)
    assert result.exit_code == 1
    assert f"  {VANISHED_LINE}" in result.stderr
    assert answer_of(db_path) == built


def peak_rss_of_index(knowledge_dir: Path, db_path: Path) -> tuple[int, float, float, str]:
    """Run `policybot index` as its own process: exit status, peak RSS (MB) and wall time, stderr."""
    command = [str(Path(sys.executable).with_name("policybot")), "index", "--knowledge", str(knowledge_dir)]
    env = {"PATH": "/usr/bin:/bin", "HOME": str(db_path.parent), "POLICYBOT_DB": str(db_path)}
    started = time.perf_counter()
    with open(db_path.parent / "stderr.txt", "w+b") as err:
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)  # this child's own peak RSS, no other's
        process.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        output = err.read().decode()
    return process.returncode, usage.ru_maxrss / 1024, time.perf_counter() - started, output


def test_a_50_mb_document_is_refused_without_being_read(knowledge_dir, db_path):
    status, baseline_mb, _, _ = peak_rss_of_index(knowledge_dir, db_path)
    assert status == 0
    write_huge(knowledge_dir)
    status, peak_mb, seconds, stderr = peak_rss_of_index(knowledge_dir, db_path)
    assert status == 1
    assert "huge.md: too large (50.0 MB" in stderr
    assert peak_mb < baseline_mb + 20, (peak_mb, baseline_mb)  # reading it would take 50 MB, decoding 50 more
    assert seconds < 30
    print(json.dumps({"baseline_rss_mb": baseline_mb, "peak_rss_mb": peak_mb, "seconds": round(seconds, 2)}))

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main


@pytest.fixture
def run(tmp_path, monkeypatch):
    """Invoke the CLI with its database in a temp dir; returns the click Result."""
    monkeypatch.setenv("POLICYBOT_DB", str(tmp_path / "kb.db"))

    def invoke(*args: str):
        return CliRunner().invoke(main, list(args), catch_exceptions=False)

    return invoke


@pytest.fixture
def docs(knowledge_dir) -> Path:
    """A writable copy of the bundled documents (the shared fixture, under a short name)."""
    return knowledge_dir


def test_ask_prints_quotes_and_citations(run):
    result = run("ask", "What is the Minsk II agreement?")
    assert result.exit_code == 0
    assert "Minsk II agreement" in result.stdout
    assert "[1] Overcoming the Wrong Détente — National Security Consequences" in result.stdout


def test_first_use_builds_the_database_and_says_so_on_stderr(run, tmp_path):
    first = run("ask", "minsk ii")
    assert "Building the knowledge base" in first.stderr
    assert (tmp_path / "kb.db").is_file()
    second = run("ask", "minsk ii")
    assert second.stderr == ""
    assert second.stdout == first.stdout


def test_ask_json_prints_only_json_in_the_documented_shape(run):
    result = run("ask", "--json", "--top", "3", "three consequences of lifting sanctions")
    data = json.loads(result.stdout)
    assert {"question", "answered", "hits", "quotes"} <= data.keys()
    assert data["answered"] is True
    assert [h["rank"] for h in data["hits"]] == [1, 2, 3]
    assert data["hits"][0]["score"] >= 0
    hit = data["hits"][0]
    assert {"rank", "score", "passage_id", "text", "section", "document"} <= hit.keys()
    expected_document = {"id": "overcoming-the-wrong-detente", "title": "Overcoming the Wrong Détente", "url": None}
    assert hit["document"] == expected_document
    quote = data["quotes"][0]
    assert quote["text"] in "\n".join(h["text"] for h in data["hits"])
    assert quote["citation"]["number"] == 1


def test_a_declined_question_says_so_and_lists_topics(run):
    result = run("ask", "sanctions on iran")
    assert "not in the knowledge base" in result.stdout
    assert "The Right Détente" in result.stdout
    data = json.loads(run("ask", "--json", "sanctions on iran").stdout)
    assert data["answered"] is False
    assert data["quotes"] == []


def test_index_reports_what_changed(run, docs, tmp_path):
    first = run("index", "--knowledge", str(docs))
    assert "1 documents, 19 passages" in first.stdout
    assert "added 1 (overcoming-the-wrong-detente)" in first.stdout
    (docs / "new.md").write_text("---\ntitle: New\n---\n\nA new paragraph.\n", encoding="utf-8")
    second = run("index", "--knowledge", str(docs))
    assert "added 1 (new)" in second.stdout
    assert "changed 0" in second.stdout


def test_changed_documents_are_reindexed_before_answering(run, docs, monkeypatch):
    monkeypatch.setenv("POLICYBOT_KNOWLEDGE_DIR", str(docs))
    assert "not in the knowledge base" in run("ask", "zeppelin").stdout
    (docs / "airships.md").write_text("---\ntitle: Airships\n---\n\nThe zeppelin flew.\n", encoding="utf-8")
    result = run("ask", "zeppelin")
    assert "Building the knowledge base" in result.stderr
    assert "The zeppelin flew." in result.stdout


def test_a_bad_document_fails_the_index_with_file_and_reason(run, docs, tmp_path):
    run("index", "--knowledge", str(docs))
    before = (tmp_path / "kb.db").read_bytes()
    (docs / "broken.md").write_text("---\ntitle: [unclosed\n---\n\ntext\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["index", "--knowledge", str(docs)])
    assert result.exit_code == 1
    assert "broken.md: invalid YAML front matter" in result.stderr
    assert (tmp_path / "kb.db").read_bytes() == before


def test_a_missing_knowledge_folder_is_a_clear_error(run, tmp_path):
    result = CliRunner().invoke(main, ["ask", "--knowledge", str(tmp_path / "nope"), "x"])
    assert result.exit_code == 1
    assert "knowledge folder not found" in result.stderr


def test_eval_prints_the_figures_and_misses(run, tmp_path):
    questions = tmp_path / "q.jsonl"
    questions.write_text(
        '{"question": "minsk ii", "expect": ["Minsk II agreement"]}\n'
        '{"question": "sanctions on iran", "expect": []}\n'
        '{"question": "best pizza", "expect": ["Minsk II agreement"]}\n',
        encoding="utf-8",
    )
    result = run("eval", str(questions))
    assert "hit@1            0.500" in result.stdout
    assert "declined-correctly 1.000" in result.stdout
    assert "line 3" in result.stdout and "declined, should answer" in result.stdout


def test_eval_refuses_expected_text_that_no_passage_contains(run, tmp_path):
    questions = tmp_path / "q.jsonl"
    questions.write_text('{"question": "x", "expect": ["text nobody wrote"]}\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["eval", str(questions)])
    assert result.exit_code == 1
    assert "line 1: 'text nobody wrote'" in result.stderr


def test_the_installed_command_keeps_stdout_pure_json(tmp_path):
    command = Path(sys.executable).with_name("policybot")
    env = {"POLICYBOT_DB": str(tmp_path / "kb.db"), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    done = subprocess.run(
        [str(command), "ask", "--json", "minsk ii"], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["answered"] is True
    assert "Building the knowledge base" in done.stderr


def test_a_lost_index_file_is_rebuilt_instead_of_failing(run, tmp_path):
    run("ask", "minsk ii")
    for sidecar in tmp_path.glob("kb.db.*.arrays"):
        sidecar.unlink()
    result = run("ask", "minsk ii")
    assert "Building the knowledge base" in result.stderr
    assert "Minsk II agreement" in result.stdout

"""Building the store (knowledge/build.py), reading it (knowledge/store.py) and freshness checks."""

from __future__ import annotations

import hashlib
import os
import pickle
import shutil
from pathlib import Path

import pytest
import sqlite_utils

import knowledge
from knowledge.arrays import open_arrays
from knowledge.build import BuildError, build, is_current
from knowledge.document import DocumentError, parse_document
from knowledge.folder import scan
from knowledge.passages import split_passages
from knowledge.store import SCHEMA_VERSION, Store, StoreError
from retrieval.knowledge_base import build_version, needs_rebuild, rebuild

BUNDLED_DIR = Path(knowledge.__file__).parent / "documents"
BUNDLED_ID = "overcoming-the-wrong-detente"


@pytest.fixture
def folder(tmp_path) -> Path:
    path = tmp_path / "knowledge"
    path.mkdir()
    return path


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "data" / "kb.db"


@pytest.fixture
def write_doc(folder):
    """Write a document into the knowledge folder; `raw` replaces the whole file."""

    def write(name: str, body: str = "A sentence about sanctions.\n", raw: str | bytes | None = None) -> Path:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if raw is None:
            raw = f"---\ntitle: '{Path(name).stem}'\n---\n\n{body}"
        path.write_bytes(raw.encode() if isinstance(raw, str) else raw)
        return path

    return write


@pytest.fixture(scope="module")
def bundled_db(tmp_path_factory) -> Path:
    """The bundled folder built once for this module; tests only read it."""
    path = tmp_path_factory.mktemp("bundled") / "kb.db"
    rebuild(BUNDLED_DIR, path)
    return path


@pytest.fixture(scope="module")
def store(bundled_db):
    opened = Store(bundled_db)
    yield opened
    opened.close()


def query(path: Path, sql: str) -> list[tuple]:
    db = sqlite_utils.Database(path)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- the built file --------------------------------------------------------------------


def test_bundled_build_has_tables(bundled_db):
    db = sqlite_utils.Database(bundled_db)
    assert set(db.table_names()) == {"documents", "passages", "meta"}
    db.close()


def test_bundled_build_meta_counts(bundled_db):
    meta = dict(query(bundled_db, "select key, value from meta"))
    passages = query(bundled_db, "select count(*) from passages")[0][0]
    assert meta["documents"] == "1"
    assert meta["passages"] == str(passages)
    assert passages > 10


def test_bundled_build_meta_versions(bundled_db):
    meta = dict(query(bundled_db, "select key, value from meta"))
    assert meta["build_version"] == build_version()
    assert meta["schema_version"] == SCHEMA_VERSION


def test_bundled_build_document_row(bundled_db):
    rows = query(bundled_db, "select id, path, title, passages from documents")
    count = query(bundled_db, "select count(*) from passages")[0][0]
    assert rows == [(BUNDLED_ID, f"{BUNDLED_ID}.md", "Overcoming the Wrong Détente", count)]


def test_bundled_build_stores_index_arrays_in_the_sidecar_named_in_meta(bundled_db):
    [(sidecar,)] = query(bundled_db, "select value from meta where key = 'arrays_file'")
    arrays = open_arrays(bundled_db.with_name(sidecar))
    assert {"terms", "tier_starts", "passages", "impacts", "words"} <= arrays.keys()


def files_besides_the_store(db_path: Path) -> list[str]:
    """Files in the store's folder other than the store, its lock and its current sidecar."""
    [(sidecar,)] = query(db_path, "select value from meta where key = 'arrays_file'")
    return sorted(set(os.listdir(db_path.parent)) - {db_path.name, f"{db_path.name}.lock", sidecar})


def test_build_report_counts(folder, db_path, write_doc):
    write_doc("a.md", "One.\n\nTwo.\n")
    write_doc("b.md", "Three.\n")
    report = rebuild(folder, db_path)
    assert (report.documents, report.passages) == (2, 3)


def test_build_creates_parent_folder(folder, tmp_path, write_doc):
    write_doc("a.md")
    target = tmp_path / "deep" / "er" / "kb.db"
    rebuild(folder, target)
    assert target.is_file()


def test_build_leaves_no_temporary_file(folder, db_path, write_doc):
    write_doc("a.md")
    rebuild(folder, db_path)
    rebuild(folder, db_path)
    assert files_besides_the_store(db_path) == []


def test_build_calls_progress(folder, db_path, write_doc):
    write_doc("a.md")
    write_doc("b.md")
    calls = []
    rebuild(folder, db_path, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1, 2), (2, 2)]


def texts_and_titles(documents):
    return [(passage.text, title) for title, passages in documents for passage in passages]


class Recorder:
    """An index sink that remembers what it was given."""

    analyze = staticmethod(texts_and_titles)

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def add(self, analyzed):
        self.seen += analyzed

    def finish(self):
        return {}


def test_build_passes_passages_to_the_index_in_order(folder, db_path, write_doc):
    write_doc("a.md", "One.\n\nTwo.\n")
    recorder = Recorder()
    build(folder, db_path, version="v", new_index=lambda: recorder)
    assert recorder.seen == [("One.", "a"), ("Two.", "a")]


def test_build_empty_folder(folder, db_path):
    report = rebuild(folder, db_path)
    assert (report.documents, report.passages) == (0, 0)
    assert dict(query(db_path, "select key, value from meta"))["documents"] == "0"


# --- the report across builds ----------------------------------------------------------


def test_report_first_build_all_added(folder, db_path, write_doc):
    write_doc("b.md")
    write_doc("a.md")
    report = rebuild(folder, db_path)
    assert (report.added, report.changed, report.removed) == (["a", "b"], [], [])


def test_report_same_documents_nothing_new(folder, db_path, write_doc):
    write_doc("a.md")
    rebuild(folder, db_path)
    report = rebuild(folder, db_path)
    assert (report.added, report.changed, report.removed) == ([], [], [])


def test_report_added(folder, db_path, write_doc):
    write_doc("a.md")
    rebuild(folder, db_path)
    write_doc("b.md")
    report = rebuild(folder, db_path)
    assert (report.added, report.changed, report.removed) == (["b"], [], [])


def test_report_changed(folder, db_path, write_doc):
    write_doc("a.md")
    write_doc("b.md")
    rebuild(folder, db_path)
    write_doc("a.md", "An edited sentence.\n")
    report = rebuild(folder, db_path)
    assert (report.added, report.changed, report.removed) == ([], ["a"], [])


def test_report_removed(folder, db_path, write_doc):
    write_doc("a.md")
    write_doc("b.md")
    rebuild(folder, db_path)
    (folder / "b.md").unlink()
    report = rebuild(folder, db_path)
    assert (report.added, report.changed, report.removed) == ([], [], ["b"])


def test_report_touch_is_not_a_change(folder, db_path, write_doc):
    path = write_doc("a.md")
    rebuild(folder, db_path)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    assert rebuild(folder, db_path).changed == []


def test_report_over_foreign_file_counts_all_added(folder, db_path, write_doc):
    write_doc("a.md")
    db_path.parent.mkdir(parents=True)
    db_path.write_bytes(b"not a database at all" * 100)
    assert rebuild(folder, db_path).added == ["a"]


def test_removed_document_gone_from_store(folder, db_path, write_doc):
    write_doc("a.md")
    write_doc("b.md", "Only in b.\n")
    rebuild(folder, db_path)
    (folder / "b.md").unlink()
    rebuild(folder, db_path)
    assert query(db_path, "select document_id, text from passages") == [("a", "A sentence about sanctions.")]


# --- refused builds --------------------------------------------------------------------


def test_bad_document_raises_build_error(folder, db_path, write_doc):
    write_doc("good.md")
    write_doc("bad.md", raw="---\nauthor: Nobody\n---\nBody.\n")
    with pytest.raises(BuildError) as info:
        rebuild(folder, db_path)
    assert [p.path for p in info.value.problems] == ["bad.md"]
    assert "bad.md: front matter needs a non-empty 'title'" in str(info.value)
    assert "1 document(s) need fixing" in str(info.value)


def test_build_error_lists_every_bad_file(folder, db_path, write_doc):
    write_doc("good.md")
    write_doc("one.md", raw=b"---\ntitle: Caf\xe9\n---\nBody.\n")
    write_doc("sub/two.md", raw="---\ntitle: T\nsummary: S\n---\nBody.\n")
    with pytest.raises(BuildError) as info:
        rebuild(folder, db_path)
    message = str(info.value)
    assert [p.path for p in info.value.problems] == ["one.md", "sub/two.md"]
    assert "2 document(s) need fixing" in message
    assert "one.md: not UTF-8" in message
    assert "sub/two.md: unknown front matter key 'summary'" in message
    assert "good.md" not in message


def test_refused_build_keeps_previous_db(folder, db_path, write_doc):
    write_doc("a.md")
    rebuild(folder, db_path)
    before = sha256(db_path)
    write_doc("a.md", "Edited.\n")
    write_doc("bad.md", raw="no front matter\n")
    with pytest.raises(BuildError):
        rebuild(folder, db_path)
    assert sha256(db_path) == before


def test_refused_build_leaves_no_temporary_file(folder, db_path, write_doc):
    write_doc("a.md")
    rebuild(folder, db_path)
    write_doc("bad.md", raw="no front matter\n")
    with pytest.raises(BuildError):
        rebuild(folder, db_path)
    assert files_besides_the_store(db_path) == []


def test_refused_first_build_creates_no_db(folder, db_path, write_doc):
    write_doc("bad.md", raw="---\ntitle: T\n---\n")
    with pytest.raises(BuildError):
        rebuild(folder, db_path)
    assert set(os.listdir(db_path.parent)) <= {"kb.db.lock"}


def test_failing_index_writer_keeps_previous_db(folder, db_path, write_doc):
    write_doc("a.md")
    rebuild(folder, db_path)
    before = sha256(db_path)

    class Broken(Recorder):
        def finish(self):
            raise RuntimeError("index failed")

    with pytest.raises(RuntimeError, match="index failed"):
        build(folder, db_path, version="v", new_index=Broken)
    assert sha256(db_path) == before
    assert files_besides_the_store(db_path) == []


def test_missing_folder_raises_document_error(tmp_path, db_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(DocumentError) as info:
        rebuild(missing, db_path)
    assert info.value.path == str(missing)
    assert "knowledge folder not found" in info.value.reason
    assert "POLICYBOT_KNOWLEDGE_DIR" in info.value.reason
    assert not db_path.exists()


def test_file_as_folder_raises_document_error(tmp_path, db_path):
    not_a_folder = tmp_path / "file.md"
    not_a_folder.write_text("---\ntitle: T\n---\nBody.\n")
    with pytest.raises(DocumentError, match="knowledge folder not found"):
        rebuild(not_a_folder, db_path)


# --- which files are documents ---------------------------------------------------------


def test_hidden_files_ignored(folder, db_path, write_doc):
    write_doc("a.md")
    write_doc(".draft.md", raw="not a valid document\n")
    assert rebuild(folder, db_path).added == ["a"]


def test_hidden_folders_ignored(folder, db_path, write_doc):
    write_doc("a.md")
    write_doc(".git/notes.md", raw="not a valid document\n")
    assert rebuild(folder, db_path).added == ["a"]


def test_non_markdown_files_ignored(folder, db_path, write_doc):
    write_doc("a.md")
    write_doc("notes.txt", raw="not a document\n")
    write_doc("a.md.bak", raw="not a document\n")
    assert rebuild(folder, db_path).added == ["a"]


def test_subfolder_document_ids(folder, db_path, write_doc):
    write_doc("top.md")
    write_doc("sub/name.md")
    write_doc("sub/deeper/leaf.md")
    rebuild(folder, db_path)
    rows = query(db_path, "select id, path from documents order by id")
    assert rows == [("sub/deeper/leaf", "sub/deeper/leaf.md"), ("sub/name", "sub/name.md"), ("top", "top.md")]


def test_scan_sorted_by_id(folder, write_doc):
    for name in ("b.md", "a/z.md", "c.md"):
        write_doc(name)
    assert [source.document_id for source in scan(folder).sources] == ["a/z", "b", "c"]


# --- the store -------------------------------------------------------------------------


def test_store_missing_file(tmp_path):
    missing = tmp_path / "none.db"
    with pytest.raises(StoreError) as info:
        Store(missing)
    assert str(missing) in str(info.value)
    assert "policybot index" in str(info.value)


def test_store_not_sqlite(tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is certainly not SQLite " * 200)
    with pytest.raises(StoreError) as info:
        Store(junk)
    assert "not a policybot knowledge base" in str(info.value)
    assert "rebuild it with `policybot index`" in str(info.value)


def test_store_rejects_sqlite_file_without_tables(tmp_path):
    empty = tmp_path / "empty.db"
    empty.touch()
    with pytest.raises(StoreError):
        Store(empty)


def test_store_path_with_hash(folder, tmp_path, write_doc):
    write_doc("a.md")
    db_path = tmp_path / "C#" / "kb.db"
    rebuild(folder, db_path)
    opened = Store(db_path)
    try:
        assert opened.meta.get("documents") == "1"
    finally:
        opened.close()


def test_store_meta(store):
    assert store.meta["documents"] == "1"
    assert store.meta["build_version"] == build_version()


def test_store_documents(store):
    [document] = store.documents()
    assert document.id == BUNDLED_ID
    assert document.title == "Overcoming the Wrong Détente"
    assert document.tags == ("russia", "sanctions", "détente", "nato", "united states", "europe")
    assert document.passages == int(store.meta["passages"])


def test_store_passages_in_requested_order(store, bundled_db):
    ids = [row[0] for row in query(bundled_db, "select id from passages order by position")]
    picked = store.passages([3, 0, 7, 1])
    assert [p.position for p in picked] == [3, 0, 7, 1]
    assert [p.id for p in picked] == [ids[3], ids[0], ids[7], ids[1]]


def test_store_passages_empty(store):
    assert store.passages([]) == []


def test_store_passage_texts_match_split(store):
    path = BUNDLED_DIR / f"{BUNDLED_ID}.md"
    passages = split_passages(parse_document(path.read_bytes(), BUNDLED_ID, path))
    assert store.passage_texts() == [p.text for p in passages]


def test_passage_by_id(store):
    path = BUNDLED_DIR / f"{BUNDLED_ID}.md"
    wanted = split_passages(parse_document(path.read_bytes(), BUNDLED_ID, path))[5]
    found = store.passage_by_id(wanted.id)
    assert found is not None
    assert (found.id, found.document_id, found.section, found.text) == (
        wanted.id,
        BUNDLED_ID,
        wanted.section,
        wanted.text,
    )
    assert found.position == 5


def test_passage_by_unknown_id(store):
    assert store.passage_by_id("0000000000000000") is None


def test_store_sections(store):
    assert store.sections(2) == ["The Wrong Détente", "National Security Consequences of Premature Sanctions Removal"]


def test_store_missing_array(store):
    with pytest.raises(StoreError, match="index data 'nope' missing"):
        store.array("nope")


def test_an_open_store_reads_its_own_file_while_a_rebuild_replaces_it(folder, db_path, write_doc):
    """An open store reads its file through a memory map, which is only safe while nobody
    changes that file in place: a rebuild must write a new file and rename it over."""
    write_doc("a.md", "The old text about sanctions.\n")
    rebuild(folder, db_path)
    old = Store(db_path)
    try:
        assert old._db.conn.execute("pragma mmap_size").fetchone()[0] > 0
        mapped = os.stat(db_path).st_ino
        write_doc("a.md", "A new text, longer than the old one, about strength and allies.\n" * 50)
        write_doc("b.md", "A second document.\n")
        rebuild(folder, db_path)
        assert os.stat(db_path).st_ino != mapped
        assert [p.text for p in old.passages([0])] == ["The old text about sanctions."]
        assert old.passage_by_id(old.passages([0])[0].id).text == "The old text about sanctions."
    finally:
        old.close()
    new = Store(db_path)
    try:
        assert new.passages([0])[0].text.startswith("A new text")
    finally:
        new.close()


def test_passage_ids_stable_across_rebuild(folder, db_path):
    shutil.copy(BUNDLED_DIR / f"{BUNDLED_ID}.md", folder)
    rebuild(folder, db_path)
    first = query(db_path, "select id from passages order by position")
    (folder / f"{BUNDLED_ID}.md").touch()
    rebuild(folder, db_path)
    assert query(db_path, "select id from passages order by position") == first


def test_passage_ids_survive_other_document_edit(folder, db_path, write_doc):
    write_doc("a.md", "Stays the same.\n")
    write_doc("b.md", "Will change.\n")
    rebuild(folder, db_path)
    before = query(db_path, "select id from passages where document_id = 'a'")
    write_doc("b.md", "Has changed.\n")
    write_doc("0.md", "A new first document.\n")
    rebuild(folder, db_path)
    assert query(db_path, "select id from passages where document_id = 'a'") == before


# --- freshness -------------------------------------------------------------------------


@pytest.fixture
def built(folder, db_path, write_doc) -> Path:
    """A folder with two documents, built; returns the path of the first."""
    path = write_doc("a.md")
    write_doc("b.md")
    rebuild(folder, db_path)
    return path


def test_needs_rebuild_missing_db(folder, db_path, write_doc):
    write_doc("a.md")
    assert needs_rebuild(folder, db_path)


def test_no_rebuild_right_after_build(folder, db_path, built):
    assert not needs_rebuild(folder, db_path)


def test_needs_rebuild_after_edit(folder, db_path, built):
    built.write_text(built.read_text() + "\nAnother paragraph.\n")
    assert needs_rebuild(folder, db_path)


def test_needs_rebuild_after_same_size_edit(folder, db_path, built):
    text = built.read_text()
    built.write_text(text.replace("sanctions", "SANCTIONS"))
    stat = built.stat()
    os.utime(built, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert needs_rebuild(folder, db_path)


def test_no_rebuild_after_touch(folder, db_path, built):
    stat = built.stat()
    os.utime(built, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    assert built.stat().st_mtime_ns != stat.st_mtime_ns
    assert not needs_rebuild(folder, db_path)


def test_needs_rebuild_after_add(folder, db_path, built, write_doc):
    write_doc("c.md")
    assert needs_rebuild(folder, db_path)


def test_needs_rebuild_after_remove(folder, db_path, built):
    built.unlink()
    assert needs_rebuild(folder, db_path)


def test_needs_rebuild_after_rename(folder, db_path, built):
    built.rename(folder / "renamed.md")
    assert needs_rebuild(folder, db_path)


def test_hidden_file_does_not_need_rebuild(folder, db_path, built, write_doc):
    write_doc(".scratch.md")
    assert not needs_rebuild(folder, db_path)


def test_needs_rebuild_other_version(folder, db_path, built):
    assert is_current(db_path, folder, build_version())
    assert not is_current(db_path, folder, "another-version")


def test_needs_rebuild_corrupt_db(folder, db_path, built):
    db_path.write_bytes(b"garbage" * 1000)
    assert needs_rebuild(folder, db_path)


def test_no_rebuild_after_rebuild_following_edit(folder, db_path, built):
    built.write_text(built.read_text() + "\nMore.\n")
    rebuild(folder, db_path)
    assert not needs_rebuild(folder, db_path)


def test_build_errors_survive_pickling_for_the_reload_worker():
    error = BuildError([DocumentError("a.md", "invalid YAML front matter: x")])
    again = pickle.loads(pickle.dumps(error))
    assert str(again) == str(error)
    assert again.problems[0].path == "a.md" and again.problems[0].reason == "invalid YAML front matter: x"

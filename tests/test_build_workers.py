"""A build that reads documents in worker processes writes exactly what a one-process build writes."""

from __future__ import annotations

import random
import shutil
import sqlite3
from pathlib import Path

import pytest

import knowledge
from knowledge.arrays import open_arrays
from knowledge.build import BuildError, build
from knowledge.folder import scan
from knowledge.reading import default_workers
from retrieval.knowledge_base import build_version
from retrieval.persist import PassageIndexer

BUNDLED_DIR = Path(knowledge.__file__).parent / "documents"
# Words that take every path of the analyzer: context-dependent "us", acronyms, compounds,
# accents, typographic quotes, numbers, stop words.
WORDS = (
    "sanctions Russia us US U.S. u.s. the and cease-fire US-Russia Détente détente “reset” Obama’s "
    "2017 Minsk II E.U. policy Kremlin of to a economic—statecraft trade_off naïve 3.5 tell"
).split()


def write_folder(folder: Path, documents: int = 40) -> None:
    """The bundled article and `documents` varied ones, some in a subfolder."""
    shutil.copytree(BUNDLED_DIR, folder)
    rng = random.Random(7)
    for n in range(documents):
        lines = [f"---\ntitle: 'Note {n}: {rng.choice(WORDS)}'\ntags: [a, b]\nauthor: Someone\n---\n"]
        for _ in range(rng.randint(1, 4)):
            lines.append(f"## {' '.join(rng.choices(WORDS, k=3))}\n")
            for _ in range(rng.randint(1, 6)):
                sentences = [" ".join(rng.choices(WORDS, k=rng.randint(4, 30))) for _ in range(rng.randint(1, 12))]
                lines.append(" ".join(f"{s.capitalize()}." for s in sentences) + "\n")
            lines.append("The same paragraph twice.\n\nThe same paragraph twice.\n")  # ids with -2
            lines.append("A [link](https://example.org/a_(b)) and **bold** text.\n")
        path = folder / ("sub" if n % 3 == 0 else ".") / f"note-{n:03}.md"
        path.parent.mkdir(exist_ok=True)
        path.write_text("\n".join(lines), encoding="utf-8")


def contents(db_path: Path) -> dict:
    """Everything a build writes, but for when it ran and the sidecar's fresh name."""
    with sqlite3.connect(db_path) as db:
        meta = dict(db.execute("select key, value from meta"))
        tables = {
            name: db.execute(f"select * from {name} order by rowid").fetchall() for name in ("documents", "passages")
        }
        schema = db.execute("select type, name, sql from sqlite_master order by name").fetchall()
    arrays = {name: array.tobytes() for name, array in open_arrays(db_path.with_name(meta.pop("arrays_file"))).items()}
    del meta["built_at"]
    return {"meta": meta, "schema": schema, "arrays": arrays, **tables}


def build_with(folder: Path, db_path: Path, workers: int) -> None:
    build(folder, db_path, version=build_version(), new_index=PassageIndexer, workers=workers)


def test_a_build_with_workers_writes_what_a_one_process_build_writes(tmp_path):
    folder = tmp_path / "knowledge"
    write_folder(folder)
    build_with(folder, tmp_path / "one" / "kb.db", workers=1)
    build_with(folder, tmp_path / "two" / "kb.db", workers=2)
    one, two = contents(tmp_path / "one" / "kb.db"), contents(tmp_path / "two" / "kb.db")
    assert len(one["passages"]) > 500
    for part in one:
        assert one[part] == two[part], part


def test_a_build_with_workers_refuses_bad_documents_like_a_one_process_build(tmp_path):
    folder = tmp_path / "knowledge"
    write_folder(folder)
    (folder / "sub" / "empty.md").write_text("")
    (folder / "a-untitled.md").write_text("---\nauthor: X\n---\nText.\n")
    (folder / "zz-latin1.md").write_bytes("---\ntitle: Café\n---\nCafé.\n".encode("latin-1"))
    db_path = tmp_path / "data" / "kb.db"
    build_with(BUNDLED_DIR, db_path, workers=1)
    before = db_path.read_bytes()
    refusals = []
    for workers in (1, 2):
        with pytest.raises(BuildError) as refused:
            build_with(folder, db_path, workers=workers)
        refusals.append([str(problem) for problem in refused.value.problems])
    assert refusals[0] == refusals[1]
    assert [line.split(":")[0] for line in refusals[0]] == ["a-untitled.md", "sub/empty.md", "zz-latin1.md"]
    assert db_path.read_bytes() == before
    assert sorted(p.name for p in db_path.parent.iterdir()) == sorted(
        ["kb.db", "kb.db.lock", *(p.name for p in db_path.parent.glob("kb.db.*.arrays"))]
    )


def test_a_small_folder_is_read_without_workers(tmp_path):
    folder = tmp_path / "knowledge"
    write_folder(folder)
    assert default_workers(scan(BUNDLED_DIR).sources) == 0
    assert default_workers(scan(folder).sources) == 0

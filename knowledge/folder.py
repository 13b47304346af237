"""The knowledge folder: which files are documents, and a cheap fingerprint of each."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from knowledge.document import DOCUMENT_SUFFIX, DocumentError, document_id


@dataclass(frozen=True)
class SourceFile:
    """A document file as found on disk, before it is read."""

    path: Path
    document_id: str
    size: int
    mtime_ns: int


def scan(root: Path) -> list[SourceFile]:
    """Every `*.md` file below `root` (hidden files and folders skipped), sorted by id.

    Raises `DocumentError` for a folder that does not exist, so a typo in a setting
    is reported instead of building an empty knowledge base.
    """
    if not root.is_dir():
        raise DocumentError(
            root, "knowledge folder not found; set POLICYBOT_KNOWLEDGE_DIR or --knowledge to a folder of .md files"
        )
    found = []
    for directory, subdirs, files in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
        for name in files:
            if name.startswith(".") or not name.endswith(DOCUMENT_SUFFIX):
                continue
            path = Path(directory, name)
            stat = path.stat()
            found.append(SourceFile(path, document_id(path, root), stat.st_size, stat.st_mtime_ns))
    return sorted(found, key=lambda source: source.document_id)

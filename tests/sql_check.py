"""A static check that no SQL text is built from data: every value reaches SQLite as a `?` parameter.

A string is SQL when it starts with a statement verb (select, insert, pragma, ...).

It reads the source (ast) and flags SQL-looking strings built with an f-string, `%` or
`.format()`, unless every interpolated piece is a name known to hold no data (`ALLOWED`).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

SQL = re.compile(r"^\s*(select|insert|update|delete|replace|pragma|create|drop|alter|with)\s", re.IGNORECASE)
# Interpolated names that cannot carry data, and why.
ALLOWED = {
    "marks": "a run of '?' placeholders, one per parameter (knowledge/store.py)",
    "BUILD_CACHE_KIB": "a constant of the build (knowledge/build.py)",
    "MMAP_BYTES": "a constant of the store (knowledge/store.py)",
}


def unsafe_sql(source: str, filename: str = "<source>") -> list[str]:
    """Each place in `source` where SQL text is built from something other than ALLOWED names."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.JoinedStr):
            text = "".join(part.value for part in node.values if isinstance(part, ast.Constant))
            pieces = [part.value for part in node.values if isinstance(part, ast.FormattedValue)]
            if SQL.search(text) and not all(isinstance(p, ast.Name) and p.id in ALLOWED for p in pieces):
                found.append(f"{filename}:{node.lineno}: f-string SQL")
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod | ast.Add):
            if any(_is_sql_literal(side) for side in (node.left, node.right)):
                found.append(f"{filename}:{node.lineno}: SQL built with {type(node.op).__name__}")
        elif _is_format_call(node) and _is_sql_literal(node.func.value):
            found.append(f"{filename}:{node.lineno}: SQL built with .format()")
    return found


def _is_format_call(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format"


def _is_sql_literal(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and bool(SQL.search(node.value))


def unsafe_sql_in(folders: list[Path]) -> list[str]:
    return [
        problem
        for folder in folders
        for path in sorted(folder.rglob("*.py"))
        for problem in unsafe_sql(path.read_text(encoding="utf-8"), str(path))
    ]

"""Reading and checking one knowledge document (knowledge/document.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.document import FRONT_MATTER_KEYS, DocumentError, content_hash, document_id, parse_document


@pytest.fixture
def write_doc(tmp_path):
    """Write raw text or bytes to `tmp_path/name` and return the path."""

    def write(raw: str | bytes, name: str = "doc.md") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(raw.encode() if isinstance(raw, str) else raw)
        return path

    return write


@pytest.fixture
def parse(write_doc):
    """Write a document to disk and parse it back the way a build does."""

    def parse_text(raw: str | bytes, name: str = "doc.md"):
        path = write_doc(raw, name)
        return parse_document(path.read_bytes(), "doc", path)

    return parse_text


@pytest.fixture
def rejected(write_doc):
    """Write a document, expect `DocumentError`; return (path, error)."""

    def check(raw: str | bytes) -> tuple[Path, DocumentError]:
        path = write_doc(raw)
        with pytest.raises(DocumentError) as info:
            parse_document(path.read_bytes(), "doc", path)
        assert info.value.path == str(path)
        assert str(info.value).startswith(f"{path}: ")
        return path, info.value

    return check


FULL = """---
title: Overcoming the Wrong Détente
url: https://example.org/detente
author: Jane Doe
published: 2017-02-01
tags: [russia, sanctions]
---

Body text.
"""


def test_title(parse):
    assert parse(FULL).title == "Overcoming the Wrong Détente"


def test_url(parse):
    assert parse(FULL).url == "https://example.org/detente"


def test_author(parse):
    assert parse(FULL).author == "Jane Doe"


def test_published_yaml_date_is_iso_string(parse):
    assert parse(FULL).published == "2017-02-01"


def test_published_text_kept(parse):
    doc = parse("---\ntitle: T\npublished: February 2017\n---\nBody.\n")
    assert doc.published == "February 2017"


def test_tags_list(parse):
    assert parse(FULL).tags == ("russia", "sanctions")


def test_tags_comma_string(parse):
    doc = parse("---\ntitle: T\ntags: russia, sanctions , nato\n---\nBody.\n")
    assert doc.tags == ("russia", "sanctions", "nato")


def test_optional_fields_default_to_none(parse):
    doc = parse("---\ntitle: T\n---\nBody.\n")
    assert (doc.url, doc.author, doc.published, doc.tags) == (None, None, None, ())


def test_body_excludes_front_matter(parse):
    assert parse(FULL).body == "Body text."


def test_title_is_stripped(parse):
    assert parse("---\ntitle: '  Spaced  '\n---\nBody.\n").title == "Spaced"


def test_content_hash_is_sha256_of_bytes(write_doc):
    path = write_doc(FULL)
    doc = parse_document(path.read_bytes(), "doc", path)
    assert doc.content_hash == content_hash(FULL.encode())
    assert len(doc.content_hash) == 64


def test_utf8_bom_accepted(parse):
    doc = parse(b"\xef\xbb\xbf" + FULL.encode())
    assert doc.title == "Overcoming the Wrong Détente"
    assert doc.tags == ("russia", "sanctions")


def test_crlf_line_endings_accepted(parse):
    doc = parse(FULL.replace("\n", "\r\n"))
    assert doc.title == "Overcoming the Wrong Détente"
    assert doc.body.strip() == "Body text."


def test_document_id_is_relative_path_without_suffix(tmp_path):
    assert document_id(tmp_path / "sub" / "name.md", tmp_path) == "sub/name"


def test_missing_title(rejected):
    _, error = rejected("---\nauthor: Jane\n---\nBody.\n")
    assert "non-empty 'title'" in error.reason
    assert "title: ..." in error.reason


def test_no_front_matter(rejected):
    _, error = rejected("Just a body, no front matter.\n")
    assert "'title'" in error.reason


def test_numeric_title_accepted(parse):
    assert parse("---\ntitle: 1984\n---\nBody.\n").title == "1984"


def test_empty_title(rejected):
    _, error = rejected("---\ntitle: '   '\n---\nBody.\n")
    assert "non-empty 'title'" in error.reason


def test_non_utf8_bytes(rejected):
    _, error = rejected(b"---\ntitle: Caf\xe9\n---\nBody.\n")
    assert "not UTF-8" in error.reason
    assert "offset 14" in error.reason
    assert "save it as UTF-8" in error.reason


def test_nul_bytes(rejected):
    _, error = rejected(b"---\ntitle: T\n---\nBody\x00.\n")
    assert "NUL" in error.reason


def test_invalid_yaml(rejected):
    _, error = rejected("---\ntitle: [unclosed\n---\nBody.\n")
    assert error.reason.startswith("invalid YAML front matter: ")
    assert "\n" not in error.reason


def test_unknown_key_lists_allowed_keys(rejected):
    _, error = rejected("---\ntitle: T\nsummary: S\n---\nBody.\n")
    assert "'summary'" in error.reason
    assert f"allowed: {', '.join(FRONT_MATTER_KEYS)}" in error.reason


def test_unknown_keys_all_named(rejected):
    _, error = rejected("---\ntitle: T\nzeta: 1\nalpha: 2\n---\nBody.\n")
    assert "'alpha', 'zeta'" in error.reason


def test_non_string_key_is_document_error(rejected):
    _, error = rejected("---\ntitle: T\n2017: notes\n---\nBody.\n")
    assert "2017" in error.reason


def test_bad_url_scheme(rejected):
    _, error = rejected("---\ntitle: T\nurl: ftp://example.org/x\n---\nBody.\n")
    assert "http:// or https://" in error.reason
    assert "'ftp://example.org/x'" in error.reason


def test_url_without_scheme(rejected):
    _, error = rejected("---\ntitle: T\nurl: example.org\n---\nBody.\n")
    assert "http:// or https://" in error.reason


def test_tags_not_a_list(rejected):
    _, error = rejected("---\ntitle: T\ntags: {russia: 1}\n---\nBody.\n")
    assert "'tags' must be a list" in error.reason
    assert "tags: [" in error.reason


def test_tags_nested_list(rejected):
    _, error = rejected("---\ntitle: T\ntags: [russia, [nato]]\n---\nBody.\n")
    assert "'tags' must be a list" in error.reason


def test_author_not_text(rejected):
    _, error = rejected("---\ntitle: T\nauthor: [a, b]\n---\nBody.\n")
    assert "'author' must be text, got list" in error.reason


def test_no_body(rejected):
    _, error = rejected("---\ntitle: T\n---\n\n   \n")
    assert "no text after the front matter" in error.reason


def test_error_is_value_error():
    assert issubclass(DocumentError, ValueError)

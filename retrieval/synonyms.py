"""Query expansion from an editable synonyms file.

Each line of the file is a group of words or phrases that mean the same in the documents'
world, separated by commas ("sanctions, penalties, restrictive measures"). A question that
says one of them also searches for the others, at a lower weight than the words it used.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from retrieval.text import Analyzer

Phrase = tuple[str, ...]


class SynonymsError(ValueError):
    """A synonyms file that cannot be used, with the line to fix."""


@dataclass(frozen=True)
class Synonyms:
    """Phrase (as index terms) -> every phrase of its groups, itself included."""

    groups: dict[Phrase, tuple[Phrase, ...]]
    words: dict[str, str]  # folded word -> term, for every word the file uses

    @cached_property
    def longest(self) -> int:
        """The most terms any phrase has, bounding the phrase search in a question."""
        return max((len(p) for p in self.groups), default=0)

    def alternatives(self, phrase: Phrase) -> tuple[Phrase, ...]:
        """What else `phrase` may be written as (empty when it is in no group)."""
        return self.groups.get(phrase, ())


def parse_synonyms(text: str, source: str, analyzer: Analyzer) -> Synonyms:
    """Parse the synonyms file's text; `source` names it in errors."""
    merged: dict[Phrase, set[Phrase]] = {}
    words: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        group = []
        for raw in line.split(","):
            tokens = analyzer.tokens(raw)
            if not tokens:
                raise SynonymsError(
                    f"{source}:{number}: {raw.strip()!r} has no searchable word (empty or only stop words); "
                    "remove it or write it differently (e.g. 'U.S.' rather than 'us')"
                )
            group.append(tuple(t.term for t in tokens))
            words.update((t.word, t.term) for t in tokens)
        if len(group) < 2:
            raise SynonymsError(f"{source}:{number}: a group needs at least two entries separated by commas")
        for phrase in group:
            merged.setdefault(phrase, set()).update(group)
    return Synonyms({p: tuple(sorted(alts)) for p, alts in merged.items()}, words)


def load_synonyms(path: Path, analyzer: Analyzer) -> Synonyms:
    """Read and parse a synonyms file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SynonymsError(
            f"{path}: cannot read the synonyms file ({exc}); fix it or set POLICYBOT_SYNONYMS"
        ) from None
    return parse_synonyms(text, str(path), analyzer)

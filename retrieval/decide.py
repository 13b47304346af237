"""The no-answer decision: does a passage answer the question, or only share words with it?

Decided from evidence, not from score > 0: BM25 gives some score to any passage sharing a
word, so "sanctions on iran" would otherwise be answered with a passage about Russia.
"""

from __future__ import annotations

from retrieval.answer import Ranked
from retrieval.asked_fact import Fact, states

# A passage answers when it covers more than half of what the question asks (concepts
# weighted by rarity; words the knowledge base lacks count as typical ones): "sanctions on
# iran" covers "sanctions" but not "iran" - exactly half - and is declined.
MIN_COVERAGE = 0.5
# A paraphrase covers less; two distinct concepts of the question found together in one
# passage are evidence enough down to this share.
MIN_COVERAGE_TWO_TOPICS = 0.3


def answers(hit: Ranked, fact: Fact | None = None) -> bool:
    """Whether `hit` is evidence enough to answer the question it was retrieved for.

    `fact` is the number or time the question asks for: a passage that states none does not
    answer it, however much of the question it covers (its text is read only then).
    """
    covers = hit.coverage > MIN_COVERAGE or (hit.topics >= 2 and hit.coverage >= MIN_COVERAGE_TWO_TOPICS)
    return covers and (fact is None or states(fact, hit.text))

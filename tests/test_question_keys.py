"""Keys of "More" buttons: short, distinct, each naming its own question."""

from bot.services import KEYS_PER_DRAW, QuestionCache


def test_keys_are_distinct_across_draws_and_name_their_questions():
    cache = QuestionCache(capacity=3 * KEYS_PER_DRAW)
    count = 2 * KEYS_PER_DRAW + 5  # three draws
    keys = [cache.remember(f"question {n}") for n in range(count)]
    assert len(set(keys)) == len(keys)
    assert all(len(key) == 8 and len(key.encode()) == 8 for key in keys)  # a small part of callback_data's 64 bytes
    assert [cache.get(key) for key in keys] == [f"question {n}" for n in range(count)]


def test_the_oldest_questions_are_forgotten_beyond_capacity():
    cache = QuestionCache(capacity=2)
    first, second, third = (cache.remember(q) for q in ("one", "two", "three"))
    assert (cache.get(first), cache.get(second), cache.get(third)) == (None, "two", "three")

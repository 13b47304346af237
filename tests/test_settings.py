"""Settings from flags and environment values: parsed once, bad values named with what is expected."""

import os

import pytest

from bot.settings import MAX_ANSWER_WORKERS, Settings, SettingsError


def test_values_are_parsed_into_their_types():
    settings = Settings.from_values(admins="12, 34", port="8080", answer_workers="3", log_level="debug")
    assert (settings.admins, settings.port, settings.answer_workers, settings.log_level) == (
        frozenset({12, 34}),
        8080,
        3,
        "DEBUG",
    )


def test_answer_workers_default_to_one_per_core_and_zero_means_in_process():
    assert Settings().answer_workers == min(os.cpu_count() or 1, MAX_ANSWER_WORKERS)
    assert Settings.from_values(answer_workers="0").answer_workers == 0


@pytest.mark.parametrize(
    ("name", "value", "named"),
    [
        ("answer_workers", "many", "POLICYBOT_ANSWER_WORKERS / --answer-workers"),
        ("answer_workers", str(MAX_ANSWER_WORKERS + 1), "POLICYBOT_ANSWER_WORKERS / --answer-workers"),
        ("answer_workers", "-1", "POLICYBOT_ANSWER_WORKERS / --answer-workers"),
        ("port", "70000", "POLICYBOT_PORT / --port"),
        ("admins", "ada", "POLICYBOT_ADMINS / --admins"),
        ("log_level", "LOUD", "POLICYBOT_LOG_LEVEL / --log-level"),
    ],
)
def test_a_bad_value_names_the_setting_what_is_expected_and_what_was_given(name, value, named):
    with pytest.raises(SettingsError) as caught:
        Settings.from_values(**{name: value})
    message = str(caught.value)
    assert message.startswith(f"{named}: expected ")
    assert repr(value) in message

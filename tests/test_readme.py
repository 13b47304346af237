"""The README is the contract with a newcomer: settings, commands and CI must match it."""

import re
from pathlib import Path

import pytest

from bot.cli import main
from bot.settings import SETTINGS

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
CI = (ROOT / ".ci" / "run").read_text(encoding="utf-8")


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.env)
def test_every_setting_is_documented_with_its_flag(setting):
    row = next((line for line in README.splitlines() if f"`{setting.env}`" in line), None)
    assert row is not None, f"{setting.env} missing from the README's configuration table"
    assert f"`{setting.flag}`" in row


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_command_is_documented(command):
    assert f"policybot {command}" in README


def test_ci_runs_the_readme_commands():
    commands = re.findall(r"```sh\n(python3 -m venv .*)\n```", README)
    assert len(commands) == 2, "the README starts with an install-and-ask and an install-and-test command"
    for command in commands:
        assert command in CI.splitlines()

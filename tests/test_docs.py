"""The README documents every setting and every command the code has."""

import re

from app.cli import main
from indexer.settings import SETTINGS

from .conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_documented():
    missing = [s.name for s in SETTINGS if f"`{s.name}`" not in README]
    assert not missing, f"settings missing from README.md: {missing}"


def test_every_documented_setting_exists():
    documented = set(re.findall(r"`(UCC_[A-Z_]+)`", README))
    assert documented <= {s.name for s in SETTINGS}


def test_every_command_is_documented_and_has_an_example():
    for name, cmd in main.commands.items():
        assert f"`ucc {name}" in README, f"ucc {name} is not in README.md"
        if hasattr(cmd, "commands"):
            for sub_name, sub in cmd.commands.items():
                assert f"`ucc {name} {sub_name}" in README
                assert "Example" in (sub.help or "")
        else:
            assert "Example" in (cmd.help or ""), f"ucc {name} --help has no example"


def test_ci_runs_the_readme_test_command():
    test_cmd = "bash .ci/setup && .venv/bin/python -m pytest"
    assert test_cmd in README
    assert test_cmd in (REPO / ".ci" / "run").read_text()

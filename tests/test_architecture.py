"""Dependencies point one way: indexer <- app <- faces; nothing imports bots or the faces."""

import ast

from .conftest import REPO


def _imports(package: str) -> dict[str, set[str]]:
    out = {}
    for path in (REPO / package).rglob("*.py"):
        names = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
        out[str(path.relative_to(REPO))] = names
    return out


def test_indexer_imports_no_app_bots_flask_slack_or_click():
    for module, names in _imports("indexer").items():
        bad = names & {"app", "bots", "flask", "slack_bolt", "slack_sdk", "click"}
        assert not bad, f"{module} imports {bad}"


def test_app_never_imports_bots():
    # app/cli.py is the command-line face: `ucc slack` starts the Slack face from there.
    # No capability module and no other face in app/ may import bots.
    for module, names in _imports("app").items():
        if module != "app/cli.py":
            assert "bots" not in names, module


def test_nothing_imports_the_cli_or_the_web_face():
    for package in ("app", "indexer", "bots"):
        for path in (REPO / package).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            if path.name != "__main__.py":
                assert "from app.cli" not in text and "import app.cli" not in text, path

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


def _module_graph() -> dict[str, set[str]]:
    """Module -> the project modules it imports (app, bots, indexer), lazy imports inside functions
    included. ``from pkg import name`` depends on the module ``pkg.name`` when there is one."""
    modules = {}
    for package in ("app", "bots", "indexer"):
        for path in (REPO / package).rglob("*.py"):
            parts = list(path.relative_to(REPO).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path

    def known(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph = {}
    for name, path in modules.items():
        deps = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                deps.update(known(a.name) for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    here = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
                    here = here[: len(here) - (node.level - 1)]
                    base = ".".join(here + ([node.module] if node.module else []))
                for alias in node.names:
                    deps.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else known(base))
        graph[name] = {d for d in deps if d and d != name}
    return graph


def test_no_import_cycles():
    # Even a lazy import inside a function counts: dependencies point one way (for example
    # app/web/api.py -> app/web/openapi.py -> app/web/params.py, bots/run.py -> bots/flask_adapter.py
    # -> bots/app.py).
    graph = _module_graph()
    assert {"app.web.api", "app.web.openapi", "bots.app", "bots.flask_adapter"} <= set(graph)
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    cycles = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for dep in sorted(graph.get(module, ())):
            if state.get(dep) == 1:
                cycles.append(path[path.index(dep):] + [dep])
            elif dep not in state:
                visit(dep, path + [dep])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)

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
    # app/web/api/operations.py -> app/web/api/openapi.py -> app/web/api/contract.py, bots/run.py ->
    # bots/flask_adapter.py -> bots/app.py).
    graph = _module_graph()
    assert {"app.web.api", "app.web.api.openapi", "bots.app", "bots.flask_adapter"} <= set(graph)
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


FACES = ("app/web", "bots", "app/cli.py", "app/commands")


def _face_modules():
    for face in FACES:
        path = REPO / face
        yield from sorted(path.rglob("*.py")) if path.is_dir() else [path]


def _public_methods() -> set[str]:
    import inspect

    from app.assistant import Assistant

    return {name for name, value in vars(Assistant).items() if inspect.isfunction(value) and not name.startswith("_")}


def _is_assistant(node: ast.AST, aliases: set[str]) -> bool:
    """Whether ``node`` is the assistant in a face: ``_assistant()``, ``Assistant(...)``,
    ``app.extensions["ucc.assistant"]``, ``self.assistant`` / ``bot.assistant``, or a name bound to one."""
    if isinstance(node, ast.Call):
        func = node.func
        return isinstance(func, ast.Name) and func.id in ("_assistant", "Assistant")
    if isinstance(node, ast.Subscript):
        key = node.slice
        return isinstance(key, ast.Constant) and key.value == "ucc.assistant"
    if isinstance(node, ast.Attribute):
        return node.attr == "assistant"
    return isinstance(node, ast.Name) and node.id in aliases


def _assistant_uses(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, attribute) for every attribute a face reads on the assistant."""
    aliases = {"assistant"}  # parameters and variables called assistant
    for node in ast.walk(tree):  # and any other name bound to the assistant (a = bot.assistant)
        if isinstance(node, ast.Assign) and _is_assistant(node.value, aliases):
            aliases.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return [(node.lineno, node.attr) for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and _is_assistant(node.value, aliases)]


def test_faces_use_only_the_public_methods_of_the_assistant():
    # The faces translate input and output; every use case is a public method of Assistant. A face
    # may not reach through it into its parts (.searcher, .benchmark, .directory, .catalog ...),
    # call a private method or clear its cached properties (__dict__).
    public = _public_methods()
    assert {"ask", "ask_and_record", "record_feedback", "readiness", "start_reindex", "city_page"} <= public
    seen, bad = set(), []
    for path in _face_modules():
        text = path.read_text(encoding="utf-8")
        assert "__dict__" not in text, f"{path.relative_to(REPO)} clears cached properties itself"
        for line, attr in _assistant_uses(ast.parse(text)):
            seen.add(attr)
            if attr not in public:
                bad.append(f"{path.relative_to(REPO)}:{line} .{attr}")
    assert not bad, "faces reaching past the assistant's public methods: " + ", ".join(bad)
    assert {"ask_and_record", "record_feedback", "search", "city_page", "readiness"} <= seen  # the walk sees them


def test_the_face_check_catches_a_reach_into_the_assistant():
    tree = ast.parse("def view():\n    assistant = _assistant()\n    assistant.searcher._index_for(1)\n"
                     "    _assistant().benchmark.ranking()\n    a = bot.assistant\n    a.__dict__.pop('x')\n"
                     "    app.extensions['ucc.assistant'].answerer.warm()\n")
    assert {attr for _, attr in _assistant_uses(tree)} == {"searcher", "benchmark", "__dict__", "answerer"}


def test_slack_listeners_are_plain_functions_registered_per_module():
    # As in bolt's starter template: each listener module has register(app) and top-level listener
    # functions (no closures); the bot's state comes from bolt's context, not from the App object.
    modules = [p for p in (REPO / "bots" / "listeners").glob("*.py") if p.stem not in ("__init__", "common")]
    assert {p.stem for p in modules} >= {"actions", "commands", "events"}
    for path in modules:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        functions = {f.name: f for f in tree.body if isinstance(f, ast.FunctionDef)}
        assert [a.arg for a in functions["register"].args.args] == ["app"], path
        for f in functions.values():
            nested = [n.name for n in ast.walk(f) if n is not f and isinstance(n, (ast.FunctionDef, ast.Lambda))
                      and hasattr(n, "name")]
            assert not nested, f"{path.name}: {f.name} defines {nested}"
    for path in (REPO / "bots").rglob("*.py"):
        assert "_ucc_bot" not in path.read_text(encoding="utf-8"), path


def test_app_and_bots_use_only_the_indexers_public_surface():
    import indexer

    for package in ("app", "bots"):
        for module, names in _indexer_modules(package).items():
            private = names - set(indexer.__all__)
            assert not private, f"{module} imports indexer internals {private}; add them to indexer.__all__ or go through a public module"


def _indexer_modules(package: str) -> dict[str, set[str]]:
    """Module -> the indexer submodules it imports (``from indexer import x`` or ``indexer.x``)."""
    out = {}
    for path in (REPO / package).rglob("*.py"):
        names = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(a.name.split(".")[1] for a in node.names if a.name.startswith("indexer."))
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                if node.module == "indexer":
                    names.update(a.name for a in node.names)
                elif node.module.startswith("indexer."):
                    names.add(node.module.split(".")[1])
        out[str(path.relative_to(REPO))] = names
    return out

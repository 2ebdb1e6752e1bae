"""axe-core in a Playwright page, for the browser tests (console and widget).

The engine is the ``axe.min.js`` shipped in the ``axe-playwright-python`` wheel (PyPI; a test extra),
evaluated into the page through the DevTools protocol, which a page's Content-Security-Policy does
not block. Every rule that axe runs by default is checked (WCAG 2.0-2.2 A/AA and best practices).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

AXE_OPTIONS = {"resultTypes": ["violations"]}


def axe_source() -> str:
    import axe_playwright_python

    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")


def axe_violations(page, context: Any = None, options: dict | None = None) -> list[dict]:
    """axe's violations on the page as it is now (an empty list when there are none)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source())
    results = page.evaluate("([context, options]) => axe.run(context || document, options)",
                            [context, {**AXE_OPTIONS, **(options or {})}])
    return results["violations"]


def describe(violations: list[dict]) -> str:
    """The violations in a few readable lines, for an assertion message."""
    lines = []
    for v in violations:
        nodes = "; ".join(_target(n["target"]) for n in v["nodes"][:4])
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} [{len(v['nodes'])} nodes: {nodes}]")
    return "\n".join(lines)


def _target(target: Any) -> str:
    """axe's selector for a node: a list of selectors, one per frame; inside a shadow root the
    entry is itself a list (the host's selector, then the selector inside its shadow root)."""
    if isinstance(target, list):
        return " ".join(" >> ".join(t) if isinstance(t, list) else str(t) for t in target)
    return str(target)

"""Live updates sit on top of the domain: domain packages hand events to the outbox
(`app.live.publish`) and nothing else of `app/live/`, so live code can import the domain freely
without a circle (docs/architecture.md)."""
from __future__ import annotations

import ast
import os

APP = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "app")
# What sits on top of the domain or wires the application, and may import any of app/live/.
ABOVE_THE_DOMAIN = ("live", "web", "demo", "health", "factory.py", "models.py")
# What a domain package may take from app/live/: the outbox, and the event rows (erasure deletes them).
DOMAIN_MAY_IMPORT = {"app.live.publish", "app.live.models"}


def _imports(path: str) -> set[str]:
    with open(path, encoding="utf-8") as source:
        tree = ast.parse(source.read(), path)
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.update([node.module] if node.module != "app.live" else
                         [f"app.live.{alias.name}" for alias in node.names])
    return found


def test_domain_packages_take_only_the_outbox_from_live():
    offending = []
    for top in sorted(os.listdir(APP)):
        if top in ABOVE_THE_DOMAIN or top.startswith((".", "_")):
            continue
        where = os.path.join(APP, top)
        paths = [where] if top.endswith(".py") else [
            os.path.join(folder, name) for folder, _, names in os.walk(where) for name in names if name.endswith(".py")]
        for path in paths:
            for module in _imports(path):
                if module.startswith("app.live") and module not in DOMAIN_MAY_IMPORT:
                    offending.append(f"{os.path.relpath(path, APP)} imports {module}")
    assert offending == []


def test_the_outbox_imports_no_domain_package():
    imported = _imports(os.path.join(APP, "live", "publish.py"))
    assert {module for module in imported if module.startswith("app.")} <= {
        "app.inputs", "app.live.models", "app.timekeeping", "app.extensions", "app.live.queue"}

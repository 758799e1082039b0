"""Live updates sit on top of the domain: domain packages hand events to the outbox
(`app.live.publish`) and nothing else of `app/live/`, so live code can import the domain freely
without a circle (docs/architecture.md)."""
from __future__ import annotations

import ast
import os
import subprocess
import sys

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


def test_the_domain_and_the_outbox_load_without_flask():
    """docs/architecture.md: domain packages never import Flask (they run in the scheduler and scripts)."""
    modules = sorted({f"app.{top}.operations" for top in os.listdir(APP)
                      if os.path.exists(os.path.join(APP, top, "operations.py"))}
                     | {"app.live.publish", "app.meetings.booking", "app.meetings.agenda", "app.meetings.live",
                        "app.cases.workflow"})
    probe = "import importlib, sys\n" + "".join(f"importlib.import_module({m!r})\n" for m in modules) + \
            "print(sorted(m for m in sys.modules if m == 'flask' or m.startswith('flask.')))"
    found = subprocess.run([sys.executable, "-c", probe], cwd=os.path.dirname(APP), capture_output=True,
                           text=True, check=True).stdout.strip()
    assert len(modules) > 10 and found == "[]"


def test_the_outbox_reaches_the_access_recheck_in_an_application(app):
    from app.live.publish import before_emit
    from app.live.subscriptions import after_commit

    assert after_commit in [receiver() for receiver in before_emit.receivers.values()]

"""Fuzzing the OpenAPI document: whatever a client sends, the API answers with a status the document
declares for that operation, in the shape it declares, and never with a server error.

The budget is fixed (a seed and a number of examples per operation), so a run is repeatable and
takes well under a minute; raise FUZZ_EXAMPLES locally to search harder.
"""
from __future__ import annotations

import os
import shutil
from datetime import datetime

import pytest
import schemathesis
from schemathesis import GenerationMode
from hypothesis import HealthCheck, Phase, given, settings, strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.checks import response_schema_conformance, status_code_conformance

from tests.conftest import BACKENDS, make_config, migrate_to_head

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", 25))
DEMO_PASSWORD = "meridian-demo-fuzz-Passphrase"
SEEDED_AT = datetime.fromisoformat("2026-11-26T01:43:00+00:00")


@pytest.fixture(scope="module", params=BACKENDS)
def seeded_app(request, sqlite_template, tmp_path_factory):
    """One demo network per backend for the whole run (seeding it per operation would dominate the
    budget). PostgreSQL matters here: its `integer` columns are where huge ids used to overflow."""
    from app import create_app
    from app.demo.seed import seed_demo
    from app.extensions import db

    directory = tmp_path_factory.mktemp("fuzz")
    if request.param == "sqlite":
        path = directory / "meridian.sqlite"
        shutil.copyfile(sqlite_template, path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("fresh_postgres_database")("fuzz")
        migrate_to_head(url, str(directory))
    application = create_app(make_config(url, str(directory / "instance"), RATELIMIT_ENABLED=False))
    with application.app_context():
        seed_demo(db.session, DEMO_PASSWORD, at=SEEDED_AT)
        db.session.commit()
        yield application
        db.session.remove()
        db.engine.dispose()


def _tokens_by_role(app) -> dict[str, str]:
    """A bearer token for a demo user of each role, so each operation is tried by someone allowed."""
    from app.demo.network import demo_logins

    client = app.test_client()
    tokens = {}
    for login in demo_logins():
        for role in login.roles:
            if role in tokens:
                continue
            response = client.post("/api/v1/auth/token",
                                   json={"email": login.email, "password": DEMO_PASSWORD})
            assert response.status_code == 201, response.get_json()
            tokens[role] = response.get_json()["token"]
    return tokens


def _cases_of(operation):
    """Valid and invalid requests; half the valid ones name objects that exist in the demo (ids 1-12),
    so the fuzzer reaches past the 404s into the operations themselves."""
    names = [p["name"] for p in operation.definition.raw.get("parameters", []) if p.get("in") == "path"]
    strategies = [operation.as_strategy(GenerationMode.POSITIVE),
                  operation.as_strategy(GenerationMode.NEGATIVE)]
    if names:
        strategies.append(st.integers(1, 12).flatmap(lambda known: operation.as_strategy(
            GenerationMode.POSITIVE, path_parameters={name: known for name in names})))
    return st.one_of(strategies)


def test_fuzzing_the_api_finds_no_server_error_and_no_undeclared_status(seeded_app):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", seeded_app)
    tokens = _tokens_by_role(seeded_app)
    failures: list[str] = []

    for result in schema.get_all_operations():
        operation = result.ok()
        definition = operation.definition.raw
        roles = definition.get("x-roles") or ["admin"]
        token = None if definition.get("security") == [] else next(
            (tokens[r] for r in roles if r in tokens), None)
        headers = {"Authorization": f"Bearer {token}"} if token else {}

        @given(case=_cases_of(operation))
        @settings(max_examples=FUZZ_EXAMPLES, derandomize=True, deadline=None, database=None,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        def exercise(case):
            response = case.call(headers=headers)
            try:
                case.validate_response(response, checks=[not_a_server_error, status_code_conformance,
                                                         response_schema_conformance])
            except BaseException as failure:  # noqa: BLE001 - collected and reported together below
                found = getattr(failure, "exceptions", [failure])
                failures.extend(f"{case.method} {operation.path} -> {response.status_code}: "
                                f"{type(each).__name__}: {str(each).splitlines()[0][:160]} "
                                f"[{response.text[:160]}]" for each in found)

        exercise()

    report = "\n".join(sorted(set(failures)))
    if os.environ.get("FUZZ_REPORT"):
        with open(os.environ["FUZZ_REPORT"], "w") as out:
            out.write(report)
    assert not failures, report

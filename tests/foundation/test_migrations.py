"""Migrations build the whole schema from nothing on SQLite and PostgreSQL, and match the models."""
import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app import create_app
from app.extensions import db
from tests.conftest import BACKENDS, make_config


@pytest.fixture(params=BACKENDS)
def empty_database_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.sqlite'}"
    return request.getfixturevalue("fresh_postgres_database")("migrations")


def schema_differences(application):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def test_upgrade_from_empty_to_head_matches_the_models(empty_database_url, tmp_path):
    application = create_app(make_config(empty_database_url, str(tmp_path)))
    with application.app_context():
        flask_migrate.upgrade()
        assert schema_differences(application) == []
        assert application.test_client().get("/readyz").status_code == 200
        # and back down to nothing, and up again
        flask_migrate.downgrade(revision="base")
        assert application.test_client().get("/readyz").status_code == 503
        flask_migrate.upgrade()
        assert schema_differences(application) == []
        db.engine.dispose()


def test_every_revision_id_fits_alembic_version():
    """alembic_version.version_num is VARCHAR(32) on PostgreSQL: a longer id fails the upgrade there."""
    from pathlib import Path

    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(Path(__file__).parents[2] / "migrations"))
    too_long = [revision.revision for revision in script.walk_revisions() if len(revision.revision) > 32]
    assert not too_long
    assert len(script.get_heads()) == 1, script.get_heads()

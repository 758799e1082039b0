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
    dialect = db.engine.dialect.name

    def for_this_database(obj, name, type_, reflected, compare_to):
        """Leave out what the models declare for another database only (`ddl_if(dialect=...)`)."""
        condition = getattr(obj, "_ddl_if", None)
        if reflected or condition is None or condition.dialect is None:
            return True
        return dialect in ([condition.dialect] if isinstance(condition.dialect, str) else condition.dialect)

    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                               "include_object": for_this_database})
        return compare_metadata(context, db.metadata)


# SQLite cannot reflect expression indexes; the PostgreSQL-only ones are left out of its comparison.
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based index")
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

def test_healthz(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_readyz_says_ready_and_nothing_more(client):
    response = client.get("/readyz")
    assert response.status_code == 200 and response.get_json() == {"status": "ready"}


def test_readyz_is_503_when_the_database_is_unreachable(tmp_path):
    from app import create_app
    from tests.conftest import make_config

    application = create_app(make_config(f"sqlite:///{tmp_path}/missing-dir/x/db.sqlite", str(tmp_path)))
    response = application.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "not ready", "unavailable": "database"}


def test_readyz_is_503_when_migrations_are_behind(tmp_path):
    from app import create_app
    from tests.conftest import make_config

    application = create_app(make_config(f"sqlite:///{tmp_path}/blank.sqlite", str(tmp_path)))
    response = application.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "not ready", "unavailable": "migrations"}

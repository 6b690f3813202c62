"""The operator pages in-process: a real site store on SQLite (the shared ``sqlite_store``),
Airflow's real simple auth manager for the JWT, and a stand-in for Airflow's DAG runs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from amazon_passweb.config import load_accounts
from amazon_passweb.ui.services import UiServices
from tests.ui.ui_fakes import FakeAirflow

USERS = {"admin": "admin", "lettore": "viewer"}
NOW = datetime(2026, 10, 25, 12, 0, tzinfo=UTC)
HOST = "airflow.test"


@pytest.fixture(scope="session")
def auth_manager():
    """Airflow's simple auth manager, initialised as the API server does, and the one table
    (revoked tokens) it reads from the metadata database when validating a JWT."""
    from airflow import settings
    from airflow.api_fastapi.app import create_auth_manager
    from airflow.models.revoked_token import RevokedToken

    with pytest.MonkeyPatch.context() as env:
        env.setenv("AIRFLOW__CORE__AUTH_MANAGER",
                   "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager")
        env.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS", ",".join(f"{u}:{r}" for u, r in USERS.items()))
        env.setenv("AIRFLOW__API_AUTH__JWT_SECRET", "ui-tests-jwt-secret-" + "x" * 48)
        RevokedToken.metadata.create_all(settings.engine, tables=[RevokedToken.__table__])
        manager = create_auth_manager()
        manager.init()
        yield manager


def token_for(manager, username: str) -> str:
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser

    return manager.generate_jwt(SimpleAuthManagerUser(username=username, role=USERS[username]))


@pytest.fixture
def store(sqlite_store):
    return sqlite_store


@pytest.fixture
def airflow():
    accounts = load_accounts()
    return FakeAirflow(dags={a.dag_id for a in accounts.importing_accounts})


@pytest.fixture
def services(store, airflow):
    return UiServices(accounts=load_accounts, store=lambda: store, airflow=airflow, now=lambda: NOW)


@pytest.fixture
def client(services, auth_manager):
    from fastapi.testclient import TestClient

    from amazon_passweb.ui.app import create_app

    return TestClient(create_app(services), base_url=f"http://{HOST}", follow_redirects=False)


@pytest.fixture
def admin_cookie(auth_manager):
    return {"_token": token_for(auth_manager, "admin")}

"""Each user sees and changes only the accounts whose DAG Airflow lets them read and edit, decided by
Airflow's real auth manager through the product's own gateway (``AirflowMetadata``), with real JWTs
sent as a bearer token, as any API client does (no browser).

The auth manager is Airflow's simple one in multi-team mode, configured as its documentation says
(``[core] multi_team``, users ``name:role:team``): each account's DAG belongs to a DAG bundle owned by
a team, so a user of one team lacks every permission on the other team's DAG, and a viewer reads
but may not change. It is the only auth manager shipped with Airflow core; FAB's per-DAG roles
ask the same questions (``is_authorized_dag`` with the DAG's id).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from amazon_passweb.config import load_accounts
from amazon_passweb.ui.services import UiServices
from tests.ui import site_seed as seed
from tests.ui.conftest import HOST, NOW
from tests.ui.ui_fakes import RealPermissions

IT, EU = seed.ACCOUNT, seed.OTHER  # it_main, eu_de_fr
TEAMS = {IT: "team_it", EU: "team_eu"}
# As an integrator writes [core] simple_auth_manager_users: name:role[:team|team].
USERS = "admin:admin,op_it:user:team_it,lettore_eu:viewer:team_eu,senza_dag:user"
EU_SKU, IT_SKU, SHARED_SKU = "SKU-EU-ONLY", "SKU-IT-ONLY", "SKU-PER-TUTTI"
ORDERS_OF_IT = 6  # site_seed: every order but OTHER_STORED


@pytest.fixture(scope="module")
def dags_in_teams():
    """Airflow's metadata: each account's DAG in its own bundle, owned by the account's team."""
    from airflow import settings
    from airflow.models.dag import DagModel
    from airflow.models.dagbundle import DagBundleModel
    from airflow.models.team import Team, dag_bundle_team_association_table
    from airflow.utils.session import create_session

    tables = [Team.__table__, DagBundleModel.__table__, dag_bundle_team_association_table, DagModel.__table__]
    DagModel.metadata.create_all(settings.engine, tables=tables)
    with create_session() as session:
        for account, team_name in TEAMS.items():
            team = session.get(Team, team_name) or Team(name=team_name)
            bundle = session.get(DagBundleModel, f"bundle_{account}") or DagBundleModel(name=f"bundle_{account}")
            bundle.teams = [team]
            session.add_all([team, bundle])
            session.flush()
            dag_id = f"amazon_orders__{account}"
            if session.get(DagModel, dag_id) is None:
                session.add(DagModel(dag_id=dag_id, bundle_name=bundle.name))
    return TEAMS


@pytest.fixture
def users(auth_manager, dags_in_teams, monkeypatch):
    """The users of the configuration above, as the simple auth manager reads them."""
    from airflow.api_fastapi.auth.managers.simple.simple_auth_manager import SimpleAuthManager

    monkeypatch.setenv("AIRFLOW__CORE__MULTI_TEAM", "True")
    monkeypatch.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS", USERS)
    return {user.username: user for user in SimpleAuthManager.get_users()}


@pytest.fixture
def airflow():
    return RealPermissions(dags={a.dag_id for a in load_accounts().importing_accounts})


@pytest.fixture
def api(store, airflow, auth_manager, users):
    """A client per user, each with its own real JWT as a bearer token."""
    from fastapi.testclient import TestClient

    from amazon_passweb.ui.app import create_app

    seed.seed(store)
    with store.unit_of_work() as uow:
        uow.articles.upsert("ART001", "Tazza", "22")
        for account, sku in ((EU, EU_SKU), (IT, IT_SKU), ("*", SHARED_SKU)):
            uow.articles.map_sku(account, sku, "ART001")
        uow.accounts.set_watermark(EU, datetime(2026, 10, 1, tzinfo=UTC), set_by="import")
    app = create_app(UiServices(accounts=load_accounts, store=lambda: store, airflow=airflow, now=lambda: NOW))

    def client_for(name: str) -> TestClient:
        token = auth_manager.generate_jwt(users[name])
        return TestClient(app, base_url=f"http://{HOST}", follow_redirects=False,
                          headers={"Authorization": f"Bearer {token}"})

    return client_for


def test_the_auth_manager_itself_refuses_the_other_teams_dag(auth_manager, users, dags_in_teams):
    from amazon_passweb.ui.airflow_gateway import AirflowMetadata

    gateway, both = AirflowMetadata(), {f"amazon_orders__{IT}", f"amazon_orders__{EU}"}
    assert gateway.readable_dag_ids(users["op_it"], both) == {f"amazon_orders__{IT}"}
    assert gateway.readable_dag_ids(users["lettore_eu"], both) == {f"amazon_orders__{EU}"}
    assert gateway.readable_dag_ids(users["senza_dag"], both) == set()
    assert gateway.readable_dag_ids(users["admin"], both) == both
    assert gateway.may_edit(users["op_it"], f"amazon_orders__{IT}")
    assert not gateway.may_edit(users["op_it"], f"amazon_orders__{EU}")
    assert not gateway.may_edit(users["lettore_eu"], f"amazon_orders__{EU}")  # a viewer
    assert not gateway.may_trigger(users["lettore_eu"], f"amazon_orders__{EU}")


def test_each_page_shows_only_the_accounts_the_user_may_read(api):
    op = api("op_it")
    accounts = op.get("/accounts")
    assert accounts.status_code == 200
    assert f'id="account-{IT}"' in accounts.text and EU not in accounts.text
    assert op.get(f"/accounts/{IT}/card").status_code == 200

    orders = op.get("/orders")
    assert seed.STORED in orders.text and seed.OTHER_STORED not in orders.text
    assert EU not in orders.text, "not even as a choice of the account filter"
    assert f"{ORDERS_OF_IT} ordini" in orders.text, "the count leaves the other account's orders out"
    memorizzato = op.get("/orders", params={"state": "Memorizzato"}).text
    assert seed.STORED in memorizzato and "1 ordini" in memorizzato and seed.OTHER_STORED not in memorizzato
    searched = op.get("/orders", params={"amazon_order_id": seed.OTHER_STORED})
    assert searched.status_code == 200 and "0 ordini" in searched.text  # lists filter silently

    sku = op.get("/sku").text
    assert IT_SKU in sku and EU not in sku and EU_SKU not in sku
    shared = op.get("/sku", params={"account": "*"})
    assert shared.status_code == 200 and SHARED_SKU in shared.text and EU_SKU not in shared.text

    eu = api("lettore_eu")
    assert f'id="account-{EU}"' in eu.get("/accounts").text and IT not in eu.get("/accounts").text
    eu_orders = eu.get("/orders").text
    assert seed.OTHER_STORED in eu_orders and seed.STORED not in eu_orders and "1 ordini" in eu_orders


def test_direct_urls_to_another_accounts_data_are_refused(api):
    op = api("op_it")
    for path, params in ((f"/accounts/{EU}/card", {}), ("/orders", {"account": EU}),
                         ("/orders", {"account": EU, "amazon_order_id": seed.OTHER_STORED}),
                         ("/sku", {"account": EU})):
        answer = op.get(path, params=params)
        assert answer.status_code == 403, (path, params)
        assert f"Non hai il permesso di vedere l'account {EU}" in answer.json()["detail"]
        assert f"amazon_orders__{EU}" in answer.json()["detail"], "the reason names the permission to ask for"
    page = op.get("/orders", params={"account": EU}, headers={"Accept": "text/html"})
    assert page.status_code == 403 and "location" not in page.headers, "a logged-in user is not sent to log in"
    assert "Non hai il permesso di vedere l&#39;account eu_de_fr" in page.text and seed.OTHER_STORED not in page.text


def test_an_account_not_in_the_file_is_not_told_apart_from_a_forbidden_one(api):
    assert api("op_it").get("/accounts/nope/card").status_code == 403
    assert api("admin").get("/accounts/nope/card").status_code == 404  # may read any DAG: nothing to hide


def test_changes_to_another_account_are_refused_before_anything_is_looked_up(api, airflow, store):
    op = api("op_it")
    changes = [
        (f"/accounts/{EU}/sync", {"json": {}}),
        (f"/accounts/{EU}/watermark", {"json": {"value_local": "01/09/2026 00:00", "expected": None,
                                                "confirm": True}}),
        ("/orders/retry", {"json": {"account": EU, "amazon_order_id": seed.OTHER_STORED}}),
        ("/orders/retry", {"json": {"account": EU, "amazon_order_id": "999-9999999-9999999"}}),  # no probing
        ("/orders/complete-afn", {"data": {"account": EU, "amazon_order_id": seed.OTHER_STORED,
                                           "placeholder": "1"}}),
        ("/sku", {"data": {"account": EU, "seller_sku": EU_SKU, "article_code": "ART002"}}),
        ("/sku", {"data": {"account": "*", "seller_sku": SHARED_SKU, "article_code": "ART002"}}),
    ]
    for path, body in changes:
        answer = op.post(path, **body)
        assert answer.status_code == 403, (path, body, answer.text)
    assert airflow.triggered == []
    with store.unit_of_work(read_only=True) as uow:
        assert uow.accounts.watermark(EU) == datetime(2026, 10, 1, tzinfo=UTC)
        assert [m.article_code for m in uow.articles.sku_mappings(EU)] == ["ART001"]
        assert [m.article_code for m in uow.articles.sku_mappings("*")] == ["ART001"]


def test_the_operator_changes_their_own_account(api, airflow):
    op = api("op_it")
    preview = op.post(f"/accounts/{IT}/watermark", json={"value_local": "01/10/2026 00:00", "expected": None})
    assert preview.status_code == 200 and preview.json()["applied"] is False
    assert op.post(f"/accounts/{IT}/sync").status_code == 201
    assert airflow.triggered == [(f"amazon_orders__{IT}", "op_it")]
    saved = op.post("/sku", data={"account": IT, "seller_sku": "SKU-NEW", "article_code": "ART001"})
    assert saved.status_code == 200 and "Salvato: SKU-NEW → ART001 per it_main." in saved.text


def test_a_viewer_reads_their_account_but_changes_nothing(api, airflow):
    viewer = api("lettore_eu")
    card = viewer.get(f"/accounts/{EU}/card")
    assert card.status_code == 200 and "Non hai il permesso di avviare il DAG" in card.text
    assert 'data-action="complete-afn"' not in viewer.get("/orders").text
    for path, body in ((f"/accounts/{EU}/sync", {"json": {}}),
                       (f"/accounts/{EU}/watermark", {"json": {"value_local": "01/09/2026 00:00", "expected": None}}),
                       ("/sku", {"data": {"account": EU, "seller_sku": "X", "article_code": "ART001"}})):
        answer = viewer.post(path, **body)
        assert answer.status_code == 403, path
        assert f"Non hai il permesso di modificare l'account {EU}" in answer.json()["detail"]
    assert airflow.triggered == []


def test_a_user_without_any_dag_permission_sees_no_account(api):
    nobody = api("senza_dag")
    for path in ("/accounts", "/orders", "/sku"):
        answer = nobody.get(path)
        assert answer.status_code == 200 and 'id="no-accounts"' in answer.text, path
        assert IT not in answer.text and EU not in answer.text, path
    assert "0 ordini" in nobody.get("/orders").text
    assert nobody.get("/sku", params={"account": "*"}).status_code == 403


def test_an_administrator_sees_every_account(api):
    admin = api("admin")
    accounts = admin.get("/accounts").text
    assert f'id="account-{IT}"' in accounts and f'id="account-{EU}"' in accounts
    assert f"{ORDERS_OF_IT + 1} ordini" in admin.get("/orders").text

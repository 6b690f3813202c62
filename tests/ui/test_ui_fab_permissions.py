"""Each user sees and changes only the accounts whose DAG Airflow lets them read and edit, decided by
Airflow's FAB auth manager (``apache-airflow-providers-fab``): the per-DAG roles integrators give their
operators, made with the commands of README *Who sees what*.

The module runs a FAB-configured Airflow in this process on a metadata database of its own (SQLite in
a temporary directory): ``airflow db migrate`` (FAB's tables included), ``airflow dags reserialize``
(parsing the real DAGs creates their ``DAG:<dag_id>`` resources, as the DAG processor does), the other
roles and the users through FAB's security manager, then README's own command block, read from
README.md and run through Airflow's CLI parser. Tokens come from FAB's login endpoint (``POST
/auth/token`` with the password); the pages are mounted under ``/amazon`` next to FAB's ``/auth`` app,
as the API server mounts them, and read Airflow through the product's real gateway
(``AirflowMetadata``): DAG state, runs, permissions and triggering.
"""

from __future__ import annotations

import contextlib
import io
import shlex
from datetime import UTC, datetime

import pytest

from amazon_passweb.config import load_accounts
from amazon_passweb.site.unit_of_work import open_site_store
from amazon_passweb.ui import MOUNT_PREFIX
from amazon_passweb.ui.airflow_gateway import AirflowMetadata
from amazon_passweb.ui.services import UiServices
from tests.conftest import ROOT
from tests.ui import site_seed as seed
from tests.ui.conftest import HOST, NOW

# The provider's own imports warn (its WSGI bridge, the DAG command's optional graphviz): not this product's.
pytestmark = pytest.mark.filterwarnings("ignore:starlette.middleware.wsgi is deprecated",
                                        "ignore:Could not import graphviz")

FAB = "airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager"
IT, EU = seed.ACCOUNT, seed.OTHER  # it_main, eu_de_fr
IT_DAG, EU_DAG = f"amazon_orders__{IT}", f"amazon_orders__{EU}"
EU_SKU, IT_SKU, SHARED_SKU = "SKU-EU-ONLY", "SKU-IT-ONLY", "SKU-PER-TUTTI"
ORDERS_OF_IT = 6  # site_seed: every order but OTHER_STORED
# The users and their first roles; README's commands then give mario the role AmazonIt.
USERS = {
    "mario": ["Operatore"],  # + AmazonIt: read + edit it_main's DAG, create DAG runs
    "lucia": ["Operatore", "AmazonEuLettura"],  # read eu_de_fr's DAG only
    "senza_dag": ["Operatore"],  # a role with no permission on any DAG
    "amministratore": ["Admin"],
}


def password_of(name: str) -> str:
    return f"{name}-password-di-prova"


def airflow_cli(*argv: str) -> str:
    """One ``airflow …`` command, parsed and run by Airflow's own CLI in this process; its output."""
    from airflow.cli import cli_parser

    args = cli_parser.get_parser().parse_args(list(argv))
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            args.func(args)
    except SystemExit as stop:  # how the FAB commands refuse (an unknown role, resource, action)
        raise AssertionError(f"airflow {' '.join(argv)} refused: {out.getvalue()}") from stop
    return out.getvalue()


def readme_fab_commands() -> list[list[str]]:
    """The commands of README *Who sees what* that give mario the role AmazonIt, without ``airflow``."""
    section = (ROOT / "README.md").read_text().split("### Who sees what", 1)[1]
    block = section.split("```bash\n", 1)[1].split("```", 1)[0]
    commands = [words for words in (shlex.split(line, comments=True) for line in block.splitlines()) if words]
    assert commands and all(words[0] == "airflow" for words in commands), block
    return [words[1:] for words in commands]


def _add_roles_and_users() -> None:
    """The other roles and the users, through FAB's security manager in one application context
    (each CLI command builds its own Flask application: a second or so apiece)."""
    from airflow.providers.fab.auth_manager.cli_commands.utils import get_application_builder

    with get_application_builder() as appbuilder:
        security = appbuilder.sm
        security.add_role("Operatore")
        reader = security.add_role("AmazonEuLettura")
        security.add_permission_to_role(reader, security.get_permission("can_read", f"DAG:{EU_DAG}"))
        for name, roles in USERS.items():
            added = security.add_user(name, name.title(), "Prova", f"{name}@example.invalid",
                                      [security.find_role(role) for role in roles], password_of(name))
            assert added, name


def _clear_process_caches() -> None:
    """Airflow and FAB cache users, JWT signers and DAG teams process-wide: nothing read from this
    module's database may reach the rest of the session, nor the other way round."""
    from airflow.api_fastapi.auth.managers.base_auth_manager import BaseAuthManager
    from airflow.models.dag import clear_team_name_cache
    from airflow.providers.fab.auth_manager.fab_auth_manager import FabAuthManager

    FabAuthManager.cache.clear()
    BaseAuthManager._get_token_signer.cache_clear()
    BaseAuthManager._get_token_validator.cache_clear()
    clear_team_name_cache()


@pytest.fixture(scope="module")
def fab_airflow(tmp_path_factory):
    """Airflow configured with the FAB auth manager on a fresh metadata database, the real DAGs
    parsed into it, and the roles and users of README *Who sees what*. Afterwards the rest of the
    session gets its own database and auth manager back."""
    from airflow import settings
    from airflow.api_fastapi import app as api_app
    from fastapi import FastAPI

    home = tmp_path_factory.mktemp("fab-airflow")
    previous_manager = api_app._AuthManagerState.instance
    try:
        with pytest.MonkeyPatch.context() as env:
            env.setenv("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", f"sqlite:///{home / 'airflow.db'}")
            env.setenv("AIRFLOW__CORE__AUTH_MANAGER", FAB)
            env.setenv("AIRFLOW__CORE__MULTI_TEAM", "False")
            # An integrator's webserver_config.py; one process here, so login rate limits may live in memory.
            (home / "webserver_config.py").write_text('RATELIMIT_STORAGE_URI = "memory://"\n')
            env.setenv("AIRFLOW__FAB__CONFIG_FILE", str(home / "webserver_config.py"))
            env.setenv("AIRFLOW__API_AUTH__JWT_SECRET", "fab-tests-jwt-secret-" + "y" * 48)
            env.setenv("AIRFLOW__API__SECRET_KEY", "fab-tests-flask-secret")
            settings.configure_vars()
            settings.reconfigure_orm()
            _clear_process_caches()

            airflow_cli("db", "migrate")  # FAB's tables too: the provider's DB manager
            airflow_cli("fab-db", "migrate")  # FAB's tables alone: already there
            airflow_cli("dags", "reserialize")  # parsing creates the DAG:<dag_id> resources
            _add_roles_and_users()
            for command in readme_fab_commands():  # as an integrator copies them
                output = airflow_cli(*command)
                if command[:2] == ["roles", "add-perms"]:
                    assert "Added 2 permission(s)" in output, (command, output)

            server = FastAPI()  # as the API server: the auth manager's app under /auth
            manager = api_app.init_auth_manager(server)
            yield server, manager
    finally:
        _clear_process_caches()
        api_app._AuthManagerState.instance = previous_manager
        settings.configure_vars()
        settings.reconfigure_orm()


@pytest.fixture(scope="module")
def site(tmp_path_factory, pii_key):
    """One seeded site store for the module: the tests that change it check their own changes."""
    store = open_site_store(f"sqlite:///{tmp_path_factory.mktemp('fab-site') / 'site.db'}", pii_key=pii_key,
                            upgrade=True)
    seed.seed(store)
    with store.unit_of_work() as uow:
        uow.articles.upsert("ART001", "Tazza", "22")
        for account, sku in ((EU, EU_SKU), (IT, IT_SKU), ("*", SHARED_SKU)):
            uow.articles.map_sku(account, sku, "ART001")
        uow.accounts.set_watermark(EU, datetime(2026, 10, 1, tzinfo=UTC), set_by="import")
    yield store
    store.dispose()


@pytest.fixture(scope="module")
def tokens(fab_airflow):
    """Each user's JWT from FAB's login endpoint, as a script or the Airflow UI obtains it."""
    from fastapi.testclient import TestClient

    server, _ = fab_airflow
    login = TestClient(server, base_url=f"http://{HOST}")
    issued = {}
    for name in USERS:
        answer = login.post("/auth/token", json={"username": name, "password": password_of(name)})
        assert answer.status_code == 201, (name, answer.text)
        issued[name] = answer.json()["access_token"]
    return issued


@pytest.fixture(scope="module")
def api(fab_airflow, site, tokens):
    """A client per user on the pages mounted under /amazon, each with its own FAB JWT as a bearer token."""
    from fastapi.testclient import TestClient

    from amazon_passweb.ui.app import create_app

    server, _ = fab_airflow
    server.mount(MOUNT_PREFIX, create_app(UiServices(accounts=load_accounts, store=lambda: site,
                                                     airflow=AirflowMetadata(), now=lambda: NOW)))

    def client_for(name: str) -> TestClient:
        return TestClient(server, base_url=f"http://{HOST}{MOUNT_PREFIX}", follow_redirects=False,
                          headers={"Authorization": f"Bearer {tokens[name]}"})

    return client_for


def _runs_of(dag_id: str) -> list[tuple[str, str]]:
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        return list(session.execute(select(DagRun.run_type, DagRun.triggering_user_name)
                                    .where(DagRun.dag_id == dag_id)).tuples())


def test_the_login_refuses_a_wrong_password(fab_airflow):
    from fastapi.testclient import TestClient

    server, _ = fab_airflow
    answer = TestClient(server).post("/auth/token", json={"username": "mario", "password": "sbagliata"})
    assert answer.status_code == 401


def test_the_documented_roles_give_per_dag_permissions(fab_airflow, tokens):
    """The gateway's questions, answered by FAB for the users of the tokens the login issued."""
    import asyncio

    _, manager = fab_airflow
    users = {name: asyncio.run(manager.get_user_from_token(token)) for name, token in tokens.items()}
    gateway, both = AirflowMetadata(), {IT_DAG, EU_DAG}
    assert type(manager).__name__ == "FabAuthManager"
    assert gateway.readable_dag_ids(users["mario"], both) == {IT_DAG}
    assert gateway.readable_dag_ids(users["lucia"], both) == {EU_DAG}
    assert gateway.readable_dag_ids(users["senza_dag"], both) == set()
    assert gateway.readable_dag_ids(users["amministratore"], both) == both
    assert gateway.may_edit(users["mario"], IT_DAG) and gateway.may_trigger(users["mario"], IT_DAG)
    assert not gateway.may_edit(users["mario"], EU_DAG) and not gateway.may_trigger(users["mario"], EU_DAG)
    assert not gateway.may_edit(users["lucia"], EU_DAG) and not gateway.may_trigger(users["lucia"], EU_DAG)
    assert gateway.dag_state(IT_DAG).exists, "the real DAG, parsed into this metadata database"


def test_each_page_and_total_shows_only_the_account_the_user_may_read(api):
    mario = api("mario")
    accounts = mario.get("/accounts")
    assert accounts.status_code == 200
    assert f'id="account-{IT}"' in accounts.text and EU not in accounts.text
    assert 'id="no-accounts"' not in accounts.text
    card = mario.get(f"/accounts/{IT}/card")
    assert card.status_code == 200 and "Importa ora gli ordini di questo account" in card.text

    orders = mario.get("/orders")
    assert seed.STORED in orders.text and seed.OTHER_STORED not in orders.text
    assert EU not in orders.text, "not even as a choice of the account filter"
    assert f"{ORDERS_OF_IT} ordini" in orders.text, "the count leaves the other account's orders out"
    stored = mario.get("/orders", params={"state": "Memorizzato"}).text
    assert seed.STORED in stored and "1 ordini" in stored and seed.OTHER_STORED not in stored
    searched = mario.get("/orders", params={"amazon_order_id": seed.OTHER_STORED})
    assert searched.status_code == 200 and "0 ordini" in searched.text  # lists filter silently

    sku = mario.get("/sku").text
    assert IT_SKU in sku and EU not in sku and EU_SKU not in sku
    shared = mario.get("/sku", params={"account": "*"})
    assert shared.status_code == 200 and SHARED_SKU in shared.text and EU_SKU not in shared.text


def test_direct_urls_to_another_account_answer_403_with_the_reason(api):
    mario = api("mario")
    for path, params in ((f"/accounts/{EU}/card", {}), ("/orders", {"account": EU}),
                         ("/orders", {"account": EU, "amazon_order_id": seed.OTHER_STORED}),
                         ("/sku", {"account": EU}), ("/accounts/nope/card", {})):
        answer = mario.get(path, params=params)
        assert answer.status_code == 403, (path, params)
        shown = params.get("account") or path.split("/")[2]
        assert answer.json()["detail"] == (
            f"Non hai il permesso di vedere l'account {shown}: serve il permesso di lettura sul DAG "
            f"amazon_orders__{shown} in Airflow. Chiedilo a un amministratore di Airflow.")
    page = mario.get("/orders", params={"account": EU}, headers={"Accept": "text/html"})
    assert page.status_code == 403 and "location" not in page.headers, "a logged-in user is not sent to log in"
    assert f"Non hai il permesso di vedere l&#39;account {EU}" in page.text and seed.OTHER_STORED not in page.text


def test_changes_to_another_account_answer_403_and_change_nothing(api, site):
    mario = api("mario")
    changes = [
        (f"/accounts/{EU}/sync", {"json": {}}),
        (f"/accounts/{EU}/watermark", {"json": {"value_local": "01/09/2026 00:00", "expected": None,
                                                "confirm": True}}),
        ("/orders/retry", {"json": {"account": EU, "amazon_order_id": seed.OTHER_STORED}}),
        ("/orders/retry", {"json": {"account": EU, "amazon_order_id": "999-9999999-9999999"}}),  # no probing
        ("/orders/complete-afn", {"data": {"account": EU, "amazon_order_id": seed.OTHER_STORED,
                                           "placeholder": "1"}}),
        ("/sku", {"data": {"account": EU, "seller_sku": EU_SKU, "article_code": "ART002"}}),
    ]
    for path, body in changes:
        answer = mario.post(path, **body)
        assert answer.status_code == 403, (path, body, answer.text)
        assert f"Non hai il permesso di vedere l'account {EU}" in answer.json()["detail"], path
    shared = mario.post("/sku", data={"account": "*", "seller_sku": SHARED_SKU, "article_code": "ART002"})
    assert shared.status_code == 403 and "di tutti gli account (*)" in shared.json()["detail"]
    assert _runs_of(EU_DAG) == []
    with site.unit_of_work(read_only=True) as uow:
        assert uow.accounts.watermark(EU) == datetime(2026, 10, 1, tzinfo=UTC)
        assert [m.article_code for m in uow.articles.sku_mappings(EU)] == ["ART001"]
        assert [m.article_code for m in uow.articles.sku_mappings("*")] == ["ART001"]


def test_a_read_only_role_reads_its_account_and_changes_nothing(api):
    lucia = api("lucia")
    accounts = lucia.get("/accounts").text
    assert f'id="account-{EU}"' in accounts and IT not in accounts
    orders = lucia.get("/orders").text
    assert seed.OTHER_STORED in orders and seed.STORED not in orders and "1 ordini" in orders
    assert "Non hai il permesso di avviare il DAG" in lucia.get(f"/accounts/{EU}/card").text
    for path, body in ((f"/accounts/{EU}/sync", {"json": {}}),
                       (f"/accounts/{EU}/watermark", {"json": {"value_local": "01/09/2026 00:00", "expected": None}}),
                       ("/sku", {"data": {"account": EU, "seller_sku": "X", "article_code": "ART001"}})):
        answer = lucia.post(path, **body)
        assert answer.status_code == 403, path
        assert f"Non hai il permesso di modificare l'account {EU}" in answer.json()["detail"]
    assert lucia.get(f"/accounts/{IT}/card").status_code == 403
    assert _runs_of(EU_DAG) == []


def test_a_user_without_any_dag_permission_sees_the_no_accounts_note(api):
    nobody = api("senza_dag")
    for path in ("/accounts", "/orders", "/sku"):
        answer = nobody.get(path)
        assert answer.status_code == 200 and 'id="no-accounts"' in answer.text, path
        assert IT not in answer.text and EU not in answer.text, path
    assert "0 ordini" in nobody.get("/orders").text
    assert nobody.get("/sku", params={"account": "*"}).status_code == 403
    assert nobody.get(f"/accounts/{IT}/card").status_code == 403


def test_an_administrator_sees_every_account(api):
    admin = api("amministratore")
    accounts = admin.get("/accounts").text
    assert f'id="account-{IT}"' in accounts and f'id="account-{EU}"' in accounts
    assert f"{ORDERS_OF_IT + 1} ordini" in admin.get("/orders").text
    assert IT_SKU in admin.get("/sku", params={"account": IT}).text
    assert EU_SKU in admin.get("/sku", params={"account": EU}).text
    assert admin.get("/accounts/nope/card").status_code == 404  # may read any DAG: nothing to hide


def test_the_documented_role_starts_sincro_ordini_of_its_own_account(api):
    """``can_edit`` on the DAG and ``can_create`` on DAG Runs: Airflow records a manual run by the user."""
    started = api("mario").post(f"/accounts/{IT}/sync")
    assert started.status_code == 201, started.text
    assert _runs_of(IT_DAG) == [("manual", "mario")]

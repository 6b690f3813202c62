"""``python -m amazon_passweb sku map|list``: SKU → article with per-level spesa articles, checked against the
site's articles, through the real command line on SQLite and PostgreSQL; and the migration keeping old mappings."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from sqlalchemy import text

from amazon_passweb.site.crypto import PiiCipher
from amazon_passweb.site.db import make_engine, migrate
from amazon_passweb.site.records import SkuMappingRecord
from amazon_passweb.site.unit_of_work import SiteStore
from sandbox.stack import ROOT


@pytest.fixture
def own_engine(dialect, databases):
    """A database of this test's own: the command runs in another process, which must see exactly
    what this test's store sees (the session-wide SQLite file is shared with tests that rewrite it)."""
    engine = databases.engine(dialect)
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def store(own_engine, pii_key):
    return SiteStore(own_engine, PiiCipher(pii_key))


@pytest.fixture
def cli(store, own_engine, pii_key):
    with store.unit_of_work() as uow:
        uow.articles.upsert("ART007", "Lampada", "22")
        uow.articles.upsert("SPEDVOL", "Spedizione voluminosa", "22", is_spesa=True)
        uow.articles.upsert("SPEDVOLX", "Spedizione voluminosa espressa", "22", is_spesa=True)
    url = own_engine.url.render_as_string(hide_password=False)
    env = {
        **os.environ,
        # the connection wins over SITE_DATABASE_URL: name this database there, whatever the session holds
        "AIRFLOW_CONN_PASSWEB_SITE": json.dumps({"conn_type": "generic", "host": url}),
        "SITE_DATABASE_URL": url,
        "SITE_PII_KEY": pii_key,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "include"), str(ROOT)]),
    }

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "amazon_passweb", "sku", *args],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )

    return run


def test_map_and_list_with_a_spesa_article_per_level(cli, store):
    done = cli(
        "map", "it_main", "AMZ-LAMP-01", "ART007", "--shipping-standard", "SPEDVOL", "--shipping-express", "SPEDVOLX"
    )
    assert done.returncode == 0, done.stderr
    with store.unit_of_work(read_only=True) as uow:
        assert uow.articles.resolve_sku("it_main", "AMZ-LAMP-01") == SkuMappingRecord(
            "it_main", "AMZ-LAMP-01", "ART007", "SPEDVOL", "SPEDVOLX"
        )
    listed = cli("list", "it_main")
    assert listed.returncode == 0
    assert "AMZ-LAMP-01 → ART007 (spesa di spedizione: standard SPEDVOL, espressa SPEDVOLX)" in listed.stdout
    assert "1 SKU associati per it_main" in listed.stdout


def test_a_new_mapping_replaces_the_old_one(cli, store):
    assert cli("map", "it_main", "AMZ-LAMP-01", "ART007", "--shipping-express", "SPEDVOLX").returncode == 0
    assert cli("map", "it_main", "AMZ-LAMP-01", "ART007").returncode == 0
    with store.unit_of_work(read_only=True) as uow:
        assert uow.articles.sku_mappings("it_main") == [SkuMappingRecord("it_main", "AMZ-LAMP-01", "ART007", None)]


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (("it_main", "AMZ-1", "NOPE"), "L'articolo «NOPE» non è tra gli articoli del sito"),
        (("it_main", "AMZ-1", "SPEDVOL"), "è un articolo di spesa: indica l'articolo venduto"),
        (
            ("it_main", "AMZ-1", "ART007", "--shipping-standard", "ART007"),
            "«ART007» indicato per la spedizione standard non è un articolo di spesa",
        ),
        (
            ("it_main", "AMZ-1", "ART007", "--shipping-express", "SPEDX"),
            "L'articolo di spesa per la spedizione espressa «SPEDX» non è tra gli articoli del sito",
        ),
        (("nessuno", "AMZ-1", "ART007"), "L'account «nessuno» non è nel file degli account"),
        (("it_main", " ", "ART007"), "Indica lo SKU Amazon"),
    ],
)
def test_refusals_are_clear_and_save_nothing(cli, store, args, reason):
    done = cli("map", *args)
    assert done.returncode == 1
    assert reason in done.stderr and done.stderr.startswith("Non salvato:")
    with store.unit_of_work(read_only=True) as uow:
        assert uow.articles.sku_mappings("it_main") == []


def test_the_migration_keeps_an_old_mapping_for_both_levels(databases, dialect):
    engine = make_engine(databases.url(dialect))
    try:
        migrate(engine, revision="0003")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO sku_mappings (account, seller_sku, article_code, shipping_article_code) "
                    "VALUES ('it_main', 'AMZ-1', 'ART007', 'SPEDVOL')"
                )
            )
        migrate(engine)
        with engine.connect() as conn:
            row = conn.execute(text("SELECT shipping_article_code, shipping_article_express_code FROM sku_mappings"))
            assert tuple(row.one()) == ("SPEDVOL", "SPEDVOL")
    finally:
        engine.dispose()

"""One database, one key: the key's fingerprint is recorded at the first opening and every later opening
with another key is refused, before anything is read or written (site/key_check.py). On both dialects."""

from __future__ import annotations

import pytest
from site_builders import address, private_buyer
from sqlalchemy import func, select

from amazon_passweb.site import SiteStore
from amazon_passweb.site.crypto import DEMO_FINGERPRINT, KEY_ENV, PiiCipher, generate_key
from amazon_passweb.site.db import make_engine, migrate
from amazon_passweb.site.key_check import FINGERPRINT_SETTING, KeyMismatch, SchemaTooOld
from amazon_passweb.site.models import Customer, SiteSetting
from amazon_passweb.site.unit_of_work import open_site_store

BUYER, HOME = private_buyer(1), address(1)


@pytest.fixture
def url(dialect: str, databases) -> str:
    """A database of the test's own, empty (not even migrated)."""
    return databases.url(dialect)


def recorded(url: str) -> str | None:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(select(SiteSetting.value).where(SiteSetting.name == FINGERPRINT_SETTING)).scalar()
    finally:
        engine.dispose()


def customers(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(Customer)).scalar_one()
    finally:
        engine.dispose()


def import_buyer(store: SiteStore) -> bool:
    """The same buyer's order arriving: True when it created the customer."""
    with store.unit_of_work() as uow:
        return uow.customers.get_or_create(BUYER, HOME).created


def test_the_first_opening_records_the_key_and_a_different_key_is_refused_before_any_duplicate(url) -> None:
    key, other = generate_key(), generate_key()
    store = open_site_store(url, pii_key=key, upgrade=True)
    assert recorded(url) == PiiCipher(key).fingerprint
    assert import_buyer(store) is True
    store.dispose()

    with pytest.raises(KeyMismatch) as refused:
        open_site_store(url, pii_key=other)
    message = str(refused.value)
    assert PiiCipher(key).fingerprint in message and PiiCipher(other).fingerprint in message
    assert key not in message and other not in message  # fingerprints, never the keys
    assert "rotate-key" in message
    assert customers(url) == 1 and recorded(url) == PiiCipher(key).fingerprint

    store = open_site_store(url, pii_key=key)  # its own key goes on finding the buyer
    assert import_buyer(store) is False
    store.dispose()
    assert customers(url) == 1


def test_a_database_made_before_fingerprints_is_adopted_only_by_the_key_that_decrypts_its_data(url) -> None:
    key = generate_key()
    engine = make_engine(url)
    migrate(engine)  # upgraded to 0013, its data written before: no fingerprint (a store built directly records none)
    legacy = SiteStore(engine, PiiCipher(key))
    assert import_buyer(legacy) is True
    engine.dispose()
    assert recorded(url) is None

    with pytest.raises(KeyMismatch, match="cannot decrypt its buyer data"):
        open_site_store(url, pii_key=generate_key())
    assert recorded(url) is None  # a wrong key records nothing

    store = open_site_store(url, pii_key=key)
    assert recorded(url) == PiiCipher(key).fingerprint
    assert import_buyer(store) is False
    store.dispose()


def test_a_database_without_buyer_data_is_adopted_by_the_first_key(url) -> None:
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    key = generate_key()
    open_site_store(url, pii_key=key).dispose()
    assert recorded(url) == PiiCipher(key).fingerprint


def test_a_schema_before_the_fingerprint_asks_for_the_upgrade(url) -> None:
    engine = make_engine(url)
    migrate(engine, "0010")
    engine.dispose()
    with pytest.raises(SchemaTooOld, match="python -m amazon_passweb.site upgrade"):
        open_site_store(url, pii_key=generate_key())


def test_a_store_opened_before_the_key_changed_writes_nothing_more(url) -> None:
    """A process that opened the store before a rotation committed (a task, the operator pages) is
    refused at its next writing unit of work, also one already open that commits and goes on."""
    key = generate_key()
    stale = open_site_store(url, pii_key=key, upgrade=True)
    with stale.unit_of_work() as uow:
        uow.imports.start("it_main", run_id="r1")
        # as a rotation leaves it, committed with r1: another key's fingerprint
        uow.active_session.execute(SiteSetting.__table__.update().values(value=PiiCipher(generate_key()).fingerprint))
        with pytest.raises(KeyMismatch):
            uow.commit()  # r1 is committed; the transaction that would follow is refused
    with pytest.raises(KeyMismatch), stale.unit_of_work() as uow:
        uow.customers.get_or_create(BUYER, HOME)
    with stale.unit_of_work(read_only=True) as uow:
        assert [run.run_id for run in uow.imports.recent("it_main")] == ["r1"]
    assert customers(url) == 0
    stale.dispose()


def test_the_demo_key_is_recorded_by_name_and_a_real_key_later_is_told_so(
        tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'site.db'}"
    monkeypatch.setenv(KEY_ENV, "demo")  # the demo's explicit request (its warning: test_site_crypto)
    store = open_site_store(url, upgrade=True)
    import_buyer(store)
    store.dispose()
    assert recorded(url) == DEMO_FINGERPRINT
    monkeypatch.setenv(KEY_ENV, generate_key())
    with pytest.raises(KeyMismatch, match=r"\(the public demo key\)"):
        open_site_store(url)

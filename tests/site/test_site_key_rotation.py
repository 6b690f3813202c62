"""``rotate-key``: every encrypted value and lookup hash moves to the new key in one transaction; the
same buyers are found afterwards (never created twice), the old key is refused, and an interrupted or
dry rotation leaves the database on the old key. On both dialects, and through the command line."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from site_builders import address, company_buyer, private_buyer
from sqlalchemy import select, text, update

from amazon_passweb.site import InboxItem, SiteStore, SyncType
from amazon_passweb.site import key_rotation as rotation_module
from amazon_passweb.site.crypto import KEY_ENV, PiiCipher, generate_key
from amazon_passweb.site.db import make_engine
from amazon_passweb.site.key_check import KeyMismatch
from amazon_passweb.site.key_rotation import AlreadyOnNewKey, RotationRefused, rotate_key
from amazon_passweb.site.models import Base, Customer
from amazon_passweb.site.pii_columns import ENCRYPTED, LOOKUP_HASHES
from amazon_passweb.site.unit_of_work import open_site_store

ROOT = Path(__file__).resolve().parents[2]
PAYLOAD = {"buyerInfo": {"buyerEmail": "anna@example.it"}, "shippingAddress": {"addressLine1": "Via Po 1"}}

# Who an import meets, as (customer, shipping address): by email, by identity without email, a company by
# VAT number behind Amazon Business's shared email, a company without VAT (name + postcode), a site customer.
BUYERS = {
    "anna": (private_buyer(1, name="Anna Verdi", email="Anna.Verdi@Example.it"), address(1, name="Anna Verdi")),
    "bruno": (private_buyer(2, name="Bruno Neri", email=None), address(2, name="Bruno Neri", line1="V.le Monza 7")),
    "bianchi": (company_buyer("IT01234567890"), address(3, name="Ufficio acquisti")),
    "ditta": (company_buyer(None, company="Ditta Senza Partita IVA"), address(4, name="Magazzino")),
    "carla": (private_buyer(5, name=None, email=None), address(5, name="Carla Blu")),  # the recipient names her
}


@pytest.fixture
def url(dialect: str, databases) -> str:
    return databases.url(dialect)


@pytest.fixture
def keys() -> tuple[str, str]:
    return generate_key(), generate_key()


def populate(store: SiteStore) -> dict[str, tuple[int, int]]:
    """The buyers (customer and address ids), two inbox payloads and a synced gestionale copy."""
    ids = {}
    with store.unit_of_work() as uow:
        for name, (buyer, home) in BUYERS.items():
            match = uow.customers.get_or_create(buyer, home)
            ids[name] = (match.customer.id, uow.customers.get_or_add_address(match.customer.id, home).address.id)
        for n in (1, 2):
            uow.inbox.upsert("it_main", InboxItem(f"171-000000{n}", datetime(2026, 10, n, tzinfo=UTC), PAYLOAD))
        uow.gestionale_copy.upsert_customer("501.00001", is_company=False, email="rossi@example.it",
                                            vat_number=None, changed_at="20261001 120000")
        sync = uow.syncs.start(SyncType.TOTAL, run_id="sync-1")
        uow.syncs.finish(sync, success=True, gestionale_time="20261001 120000")
    return ids


def assert_found_again(store: SiteStore, ids: dict[str, tuple[int, int]]) -> None:
    """Every buyer meets the same customer and address: nothing is created."""
    with store.unit_of_work() as uow:
        for name, (buyer, home) in BUYERS.items():
            match = uow.customers.get_or_create(buyer, home)
            assert (match.created, match.customer.id) == (False, ids[name][0]), name
            added = uow.customers.get_or_add_address(match.customer.id, home)
            assert (added.created, added.address.id) == (False, ids[name][1]), name
        assert uow.customers.find_by_email("anna.verdi@example.it").id == ids["anna"][0]
        assert uow.customers.find_by_identity(*BUYERS["bruno"]).id == ids["bruno"][0]
        assert uow.customers.get(ids["anna"][0]).email == "Anna.Verdi@Example.it"
        assert uow.customers.get_address(ids["bruno"][1]).line1 == "V.le Monza 7"
        assert uow.inbox.get("it_main", "171-0000001").payload == PAYLOAD


def every_value_decrypts_with(url: str, cipher: PiiCipher) -> int:
    engine = make_engine(url)
    checked = 0
    try:
        with engine.connect() as conn:
            for table_name, columns in ENCRYPTED.items():
                table = Base.metadata.tables[table_name]
                for row in conn.execute(select(*(table.c[name] for name in columns))):
                    for purpose, blob in zip(columns.values(), row, strict=True):
                        if blob is not None:
                            cipher.decrypt(blob, purpose)  # raises InvalidTag with another key
                            checked += 1
    finally:
        engine.dispose()
    return checked


def test_every_encrypted_and_hashed_column_of_the_models_is_rotated() -> None:
    for table in Base.metadata.sorted_tables:
        assert {c.name for c in table.columns if c.name.endswith("_enc")} == set(ENCRYPTED.get(table.name, {})), table
        assert {c.name for c in table.columns if c.name.endswith("_hash")} == set(LOOKUP_HASHES.get(table.name, ())), \
            table


def test_rotation_moves_everything_to_the_new_key_and_finds_the_same_buyers(url, keys) -> None:
    old_key, new_key = keys
    store = open_site_store(url, pii_key=old_key, upgrade=True)
    ids = populate(store)
    values = every_value_decrypts_with(url, store.cipher)

    report = rotate_key(store.engine, store.cipher, PiiCipher(new_key), batch_size=2)  # several batches
    store.dispose()

    assert report.rows == {"customers": 5, "addresses": 5, "inbox": 2}
    assert sum(report.values.values()) == values
    assert report.hashes == {"customers.email_hash": 1, "customers.identity_hash": 5, "addresses.key_hash": 5}
    assert not report.dropped and not +report.renormalised
    assert report.gestionale_customers_removed == 1
    assert every_value_decrypts_with(url, PiiCipher(new_key)) == values

    with pytest.raises(KeyMismatch):
        open_site_store(url, pii_key=old_key)
    rotated = open_site_store(url, pii_key=new_key)
    assert_found_again(rotated, ids)
    with rotated.unit_of_work(read_only=True) as uow:  # the copy is read again whole by the next sync
        assert uow.gestionale_copy.customer("501.00001") is None
        assert uow.syncs.last_gestionale_time() is None
    with pytest.raises(AlreadyOnNewKey):
        rotate_key(rotated.engine, PiiCipher(old_key), rotated.cipher)
    rotated.dispose()


def test_an_identity_the_stored_data_cannot_rebuild_is_dropped_and_counted(url, keys) -> None:
    old_key, new_key = keys
    store = open_site_store(url, pii_key=old_key, upgrade=True)
    ids = populate(store)
    with store.engine.begin() as conn:  # made from data the site no longer has
        conn.execute(update(Customer).where(Customer.id == ids["anna"][0]).values(identity_hash="f" * 64))
    report = rotate_key(store.engine, store.cipher, PiiCipher(new_key))
    store.dispose()
    assert report.dropped == {"customers.identity_hash": 1}
    rotated = open_site_store(url, pii_key=new_key)
    with rotated.unit_of_work() as uow:  # still found by email, and given its identity back by this order
        assert uow.customers.get_or_create(*BUYERS["anna"]).customer.id == ids["anna"][0]
    rotated.dispose()


def test_an_interrupted_rotation_leaves_the_database_on_the_old_key(url, keys, monkeypatch) -> None:
    old_key, new_key = keys
    store = open_site_store(url, pii_key=old_key, upgrade=True)
    ids = populate(store)

    def crash(*_args, **_kwargs):
        raise KeyboardInterrupt  # after every customer and address was rewritten

    monkeypatch.setattr(rotation_module, "_rotate_inbox", crash)
    with pytest.raises(KeyboardInterrupt):
        rotate_key(store.engine, store.cipher, PiiCipher(new_key))
    store.dispose()
    every_value_decrypts_with(url, PiiCipher(old_key))
    with pytest.raises(KeyMismatch):
        open_site_store(url, pii_key=new_key)
    again = open_site_store(url, pii_key=old_key)
    assert_found_again(again, ids)
    again.dispose()


def test_a_writer_arriving_during_the_rotation_waits_for_it_and_is_then_refused(url, keys, monkeypatch) -> None:
    old_key, new_key = keys
    store = open_site_store(url, pii_key=old_key, upgrade=True)
    populate(store)
    inside, release = threading.Event(), threading.Event()
    rotate_inbox = rotation_module._rotate_inbox

    def paused(*args, **kwargs):
        inside.set()
        release.wait(60)
        return rotate_inbox(*args, **kwargs)

    monkeypatch.setattr(rotation_module, "_rotate_inbox", paused)
    rotating = threading.Thread(target=rotate_key, args=(store.engine, store.cipher, PiiCipher(new_key)))
    rotating.start()
    assert inside.wait(60)
    outcome = []

    def write() -> None:  # a task that opened the store with the old key before the rotation began
        try:
            with store.unit_of_work() as uow:
                uow.customers.get_or_create(private_buyer(9, name="Dario Viola"), address(9))
            outcome.append("written")
        except KeyMismatch:
            outcome.append("refused")

    writer = threading.Thread(target=write)
    writer.start()
    writer.join(2)
    assert writer.is_alive()  # waiting for the rotation
    release.set()
    rotating.join(60)
    writer.join(60)
    assert outcome == ["refused"]
    store.dispose()
    rotated = open_site_store(url, pii_key=new_key)
    with rotated.unit_of_work(read_only=True) as uow:
        assert uow.customers.find_by_email(private_buyer(9).email) is None
    rotated.dispose()


def test_a_dry_run_counts_and_changes_nothing(url, keys) -> None:
    old_key, new_key = keys
    store = open_site_store(url, pii_key=old_key, upgrade=True)
    ids = populate(store)
    report = rotate_key(store.engine, store.cipher, PiiCipher(new_key), dry_run=True)
    assert report.dry_run and report.rows["customers"] == 5
    store.dispose()
    store = open_site_store(url, pii_key=old_key)
    assert_found_again(store, ids)
    store.dispose()


def test_no_rotation_while_a_run_writes_nor_to_the_same_key(url, keys) -> None:
    old_key, new_key = keys
    store = open_site_store(url, pii_key=old_key, upgrade=True)
    populate(store)
    with store.unit_of_work() as uow:
        uow.imports.start("it_main", run_id="scheduled__2026-10-01")
    with pytest.raises(RotationRefused, match="scheduled__2026-10-01"):
        rotate_key(store.engine, store.cipher, PiiCipher(new_key))
    with pytest.raises(RotationRefused, match="already configured"):
        rotate_key(store.engine, store.cipher, PiiCipher(old_key), ignore_open_runs=True)
    with pytest.raises(KeyMismatch):  # the configured "old" key must be the database's
        rotate_key(store.engine, PiiCipher(generate_key()), PiiCipher(new_key), ignore_open_runs=True)
    rotate_key(store.engine, store.cipher, PiiCipher(new_key), ignore_open_runs=True)  # a killed worker's run
    store.dispose()
    open_site_store(url, pii_key=new_key).dispose()


def site_cli(*args: str, key: str | None, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {name: value for name, value in os.environ.items() if name != KEY_ENV}
    if key is not None:
        env[KEY_ENV] = key
    return subprocess.run([sys.executable, "-m", "amazon_passweb.site", *args], env=env, cwd=ROOT, input=stdin,
                          capture_output=True, text=True, timeout=120)


def test_the_commands_rotate_and_check_the_key_without_ever_showing_it(url, keys, tmp_path) -> None:
    old_key, new_key = keys
    store = open_site_store(url, pii_key=old_key, upgrade=True)
    ids = populate(store)
    store.dispose()
    new_key_file = tmp_path / "new.key"
    new_key_file.write_text(new_key + "\n")
    new_key_file.chmod(0o600)

    missing = site_cli("rotate-key", "--new-key-file", str(new_key_file), "--url", url, key=None)
    assert missing.returncode == 1
    assert "python -m amazon_passweb.site generate-key" in missing.stderr and "SITE_PII_KEY=demo" in missing.stderr

    dry = site_cli("rotate-key", "--new-key-file", str(new_key_file), "--url", url, "--dry-run", key=old_key)
    assert dry.returncode == 0, dry.stderr
    assert "nothing changed" in dry.stdout

    done = site_cli("rotate-key", "--new-key-file", str(new_key_file), "--url", url, key=old_key)
    assert done.returncode == 0, done.stderr
    assert "customers: 5 rows" in done.stdout and "inbox: 2 rows" in done.stdout
    assert PiiCipher(new_key).fingerprint in done.stdout and "SITE_PII_KEY" in done.stdout
    for output in (missing, dry, done):
        assert old_key not in output.stdout + output.stderr and new_key not in output.stdout + output.stderr

    stale = site_cli("key-status", "--url", url, key=old_key)
    assert stale.returncode == 1 and "MISMATCH" in stale.stdout
    assert site_cli("key-status", "--url", url, key=new_key).returncode == 0
    again = site_cli("rotate-key", "--new-key-file", "-", "--url", url, key=old_key, stdin=new_key)
    assert again.returncode == 0 and "already on the new key" in again.stdout

    rotated = open_site_store(url, pii_key=new_key)
    assert_found_again(rotated, ids)
    with rotated.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM customers")).scalar_one() == len(BUYERS)
    rotated.dispose()

"""From an order's creation on Amazon to *Memorizzato*: the measurement demo-live, the e2e test and the
latency benchmark share.

Orders are created with the Amazon stand-in's control (``POST /_sandbox/orders``), one per call, their
creation time taken when the control answers. Only orders the account imports are created: the
control places the generator's just-placed orders (any marketplace, PENDING or UNSHIPPED), the same
order for the same seed, so a seed is chosen whose order is in one of the account's marketplaces and
statuses.

An order counts as stored when the site's history records its push (``inbox_history``, outcome
``pushed``: the product's own timestamp and the Airflow run that pushed it), its site order is
Memorizzato and the gestionale stand-in holds its document. Latency is that push time minus the
creation time.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import math
import sqlite3
import statistics
import time
from collections import Counter
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import requests
from sqlalchemy import bindparam, create_engine, text

MEMORIZZATO = "Memorizzato"


def now() -> datetime:
    return datetime.now(UTC)


class StandInControl:
    """The Amazon stand-in's test controls for new orders and notification faults."""

    def __init__(self, base_url: str):
        self.base_url = base_url.rstrip("/")

    def create_orders(self, count: int, seed: int | None = None) -> tuple[list[str], datetime]:
        """``count`` new merchant-fulfilled orders now: their ids and when the stand-in answered."""
        body: dict = {"count": count, "fulfilledBy": "MERCHANT"}
        if seed is not None:
            body["seed"] = seed
        answer = requests.post(f"{self.base_url}/_sandbox/orders", json=body, timeout=30)
        answer.raise_for_status()
        return answer.json()["orderIds"], now()

    def set_notification_faults(self, **faults: float | int) -> None:
        requests.put(f"{self.base_url}/_standin/notification-faults", json=faults, timeout=30).raise_for_status()

    def notifications(self) -> dict:
        """Counts (published, dropped, duplicated, delayed) and the list of messages sent."""
        answer = requests.get(f"{self.base_url}/_standin/notifications", timeout=30)
        answer.raise_for_status()
        return answer.json()

    def wait_sent(self, timeout: float) -> bool:
        """Wait until no notification is held back (delay fault) or being sent; False on timeout."""
        deadline = time.monotonic() + timeout
        while self.notifications()["pending"]:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.5)
        return True

    def notified_orders(self) -> Counter:
        """How many messages were sent for each order (a duplicate counts twice, a dropped one not)."""
        return Counter(sent["orderId"] for sent in self.notifications()["notifications"])


def importable_seeds(marketplaces: Collection[str], statuses: Collection[str], start: int) -> Iterator[tuple[int, str]]:
    """(seed, order id) of the control's merchant-fulfilled orders the account imports, from seed ``start`` on."""
    from sandbox.amazon.new_orders import place_orders
    from sandbox.amazon.store import OrderStore

    for seed in itertools.count(start):
        order = place_orders(OrderStore([]), 1, seed, "MERCHANT")[0]
        if order["salesChannel"]["marketplaceId"] in marketplaces \
                and order["fulfillment"]["fulfillmentStatus"] in statuses:
            yield seed, order["orderId"]


class OrderSource:
    """New orders of one account's seller, each one the account imports."""

    def __init__(self, control: StandInControl, marketplaces: Collection[str], statuses: Collection[str],
                 first_seed: int = 1):
        self.control = control
        self.seeds = importable_seeds(marketplaces, statuses, first_seed)
        self.unexpected: list[str] = []  # placed, but not the order the seed promised (its id was taken)

    @classmethod
    def for_account(cls, control: StandInControl, accounts_file: Path | None, account_id: str,
                    first_seed: int = 1) -> OrderSource:
        from amazon_passweb.config import load_accounts

        account = load_accounts(accounts_file).account(account_id)
        return cls(control, account.marketplaces, {status.value for status in account.order_statuses}, first_seed)

    def create(self) -> tuple[str, datetime] | None:
        """One new order now: its id and creation time (None when the stand-in placed another order)."""
        seed, expected = next(self.seeds)
        ids, at = self.control.create_orders(1, seed=seed)
        if ids != [expected]:
            self.unexpected += ids
            return None
        return expected, at


@dataclass(frozen=True)
class Stored:
    order_id: str
    account: str
    created_at: datetime
    pushed_at: datetime
    run_id: str | None

    @property
    def latency_s(self) -> float:
        return (self.pushed_at - self.created_at).total_seconds()


class StoredOrders:
    """Which watched orders reached Memorizzato with a gestionale document, read from the site and the
    gestionale stand-in's database."""

    def __init__(self, site_url: str, gestionale_db: Path):
        self.engine = create_engine(site_url)
        self.gestionale_db = Path(gestionale_db)
        self.created: dict[str, tuple[str, datetime]] = {}  # order id -> (account, creation time)
        self.stored: dict[str, Stored] = {}

    def dispose(self) -> None:
        self.engine.dispose()

    def watch(self, account: str, order_ids: list[str], created_at: datetime) -> None:
        for order_id in order_ids:
            self.created[order_id] = (account, created_at)

    def documents(self) -> Counter:
        """Gestionale documents per Amazon order (its reference ``rif_nr_attuale``)."""
        if not self.gestionale_db.exists():
            return Counter()
        with contextlib.closing(sqlite3.connect(self.gestionale_db, timeout=30)) as db:
            rows = db.execute("SELECT data FROM documenti").fetchall()
        return Counter(json.loads(data).get("rif_nr_attuale") for (data,) in rows)

    def site_orders(self) -> dict[str, str]:
        """Site state of every order of the watched accounts."""
        accounts = sorted({account for account, _ in self.created.values()})
        if not accounts:
            return {}
        with self.engine.connect() as db:
            query = text("SELECT amazon_order_id, state FROM orders WHERE account IN :accounts").bindparams(
                bindparam("accounts", expanding=True))
            rows = db.execute(query, {"accounts": accounts}).all()
        return dict(rows)

    def site_order_counts(self) -> Counter:
        """Site orders per Amazon order id (the site's uniqueness says 1; checked, not assumed)."""
        with self.engine.connect() as db:
            rows = db.execute(text("SELECT amazon_order_id FROM orders")).all()
        return Counter(order_id for (order_id,) in rows)

    def pushes(self) -> dict[str, tuple[datetime, str | None]]:
        """Each order's first recorded push: when and by which Airflow run."""
        with self.engine.connect() as db:
            rows = db.execute(text(
                "SELECT amazon_order_id, at, run_id FROM inbox_history WHERE outcome = 'pushed' ORDER BY at, id")).all()
        found: dict[str, tuple[datetime, str | None]] = {}
        for order_id, at, run_id in rows:
            if order_id not in found:
                moment = at if isinstance(at, datetime) else datetime.fromisoformat(str(at))
                found[order_id] = (moment if moment.tzinfo else moment.replace(tzinfo=UTC), run_id)
        return found

    def poll(self) -> list[Stored]:
        """The watched orders newly seen stored since the last poll."""
        pending = [oid for oid in self.created if oid not in self.stored]
        if not pending:
            return []
        states, documents, pushes = self.site_orders(), self.documents(), self.pushes()
        fresh = []
        for order_id in pending:
            if states.get(order_id) == MEMORIZZATO and documents.get(order_id) and order_id in pushes:
                account, created_at = self.created[order_id]
                pushed_at, run_id = pushes[order_id]
                self.stored[order_id] = Stored(order_id, account, created_at, pushed_at, run_id)
                fresh.append(self.stored[order_id])
        return fresh

    @property
    def missing(self) -> list[str]:
        return sorted(oid for oid in self.created if oid not in self.stored)


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (``share`` in 0..1) of the values."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(share * len(ordered))))
    return ordered[rank - 1]


def latency_summary(latencies: list[float]) -> dict:
    if not latencies:
        return {"n": 0, "p50_s": None, "p95_s": None, "max_s": None, "mean_s": None}
    return {"n": len(latencies), "p50_s": round(percentile(latencies, 0.50), 1),
            "p95_s": round(percentile(latencies, 0.95), 1), "max_s": round(max(latencies), 1),
            "mean_s": round(statistics.fmean(latencies), 1)}

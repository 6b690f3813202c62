"""A worker process of tests/site/test_site_leases.py: takes the same leases as its rivals, round by round."""

from __future__ import annotations

from datetime import timedelta

from amazon_passweb.site.crypto import PiiCipher
from amazon_passweb.site.db import make_engine
from amazon_passweb.site.unit_of_work import SiteStore

TTL = timedelta(minutes=5)


def worker(url: str, pii_key: str, name: str, rounds: int, barrier, results) -> None:
    """For each round, at the same instant as the others: take the round's lease; report who won."""
    store = SiteStore(make_engine(url), PiiCipher(pii_key))
    try:
        for number in range(rounds):
            barrier.wait(timeout=60)
            with store.unit_of_work() as uow:
                lease = uow.leases.take(f"round-{number}", name, TTL)
            results.put((number, name, lease.holder))
    finally:
        store.dispose()

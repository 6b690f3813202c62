"""The gestionale write lease in the site database (site/leases.py), on SQLite and PostgreSQL: one holder
at a time, renewed and released by that holder only, free once expired; several processes taking it at
the same instant leave exactly one holder."""

from __future__ import annotations

import multiprocessing
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from site_lease_race import worker

KEY = "a" * 64
TTL = timedelta(minutes=2)
T0 = datetime(2026, 12, 9, 10, 0, tzinfo=UTC)


def take(store, holder: str, now: datetime, key: str = KEY):
    with store.unit_of_work() as uow:
        return uow.leases.take(key, holder, TTL, now=now)


def test_one_holder_until_it_releases(store):
    first = take(store, "run-a/push@host:1", T0)
    assert (first.holder, first.acquired_at, first.expires_at) == ("run-a/push@host:1", T0, T0 + TTL)
    refused = take(store, "run-b/push@host:2", T0 + timedelta(seconds=30))
    assert refused.holder == "run-a/push@host:1" and refused.expires_at == T0 + TTL, "taken while held"
    with store.unit_of_work() as uow:
        assert not uow.leases.release(KEY, "run-b/push@host:2"), "released by another holder"
        assert uow.leases.release(KEY, "run-a/push@host:1")
        assert uow.leases.get(KEY) is None
    assert take(store, "run-b/push@host:2", T0 + timedelta(seconds=31)).holder == "run-b/push@host:2"


def test_renewal_keeps_it_and_only_the_holder_renews(store):
    take(store, "holder", T0)
    later = T0 + timedelta(seconds=90)
    with store.unit_of_work() as uow:
        assert uow.leases.renew(KEY, "holder", TTL, now=later)
        assert not uow.leases.renew(KEY, "someone else", TTL, now=later)
        lease = uow.leases.get(KEY)
    assert (lease.acquired_at, lease.renewed_at, lease.expires_at) == (T0, later, later + TTL)
    # past the first expiry, but renewed: still held
    assert take(store, "rival", T0 + TTL + timedelta(seconds=1)).holder == "holder"


def test_a_dead_holders_lease_expires_and_is_taken_over(store):
    take(store, "dead", T0)
    assert take(store, "rival", T0 + TTL - timedelta(seconds=1)).holder == "dead"
    taken = take(store, "rival", T0 + TTL)
    assert (taken.holder, taken.acquired_at) == ("rival", T0 + TTL)
    with store.unit_of_work() as uow:
        assert not uow.leases.renew(KEY, "dead", TTL, now=T0 + TTL), "the dead holder cannot get it back"
        assert not uow.leases.release(KEY, "dead")


def test_taking_it_again_extends_it_without_moving_its_start(store):
    take(store, "holder", T0)
    again = take(store, "holder", T0 + timedelta(seconds=10))
    assert (again.acquired_at, again.expires_at) == (T0, T0 + timedelta(seconds=10) + TTL)


def test_leases_of_different_users_are_independent(store):
    assert take(store, "one", T0, key="1" * 64).holder == "one"
    assert take(store, "two", T0, key="2" * 64).holder == "two"


@pytest.mark.slow
def test_processes_taking_it_at_the_same_instant_leave_one_holder(store, pii_key):
    """Four processes, thirty rounds: in each, all four take the round's lease at the same instant."""
    url = store.engine.url.render_as_string(hide_password=False)
    context = multiprocessing.get_context("spawn")
    names, rounds = [f"worker-{n}" for n in range(4)], 30
    barrier, results = context.Barrier(len(names)), context.Queue()
    workers = [context.Process(target=worker, args=(url, pii_key, name, rounds, barrier, results)) for name in names]
    for process in workers:
        process.start()
    seen: dict[int, dict[str, str]] = defaultdict(dict)
    for _ in range(rounds * len(names)):
        number, name, holder = results.get(timeout=120)
        seen[number][name] = holder
    for process in workers:
        process.join(timeout=30)
        assert process.exitcode == 0
    for number, answers in seen.items():
        assert len(set(answers.values())) == 1, f"round {number}: two holders {answers}"
        assert set(answers.values()) <= set(names)
    winners = {next(iter(answers.values())) for answers in seen.values()}
    assert len(winners) > 1, f"one process won every round: the takes did not race ({winners})"

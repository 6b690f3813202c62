from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, insert, select
from sqlalchemy.exc import StatementError

from amazon_passweb.site import SiteStore
from amazon_passweb.site.types import ExactDecimal, UTCDateTime


@pytest.fixture
def scratch(store: SiteStore):
    metadata = MetaData()
    table = Table(
        "scratch_types",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("at", UTCDateTime),
        Column("amount", ExactDecimal(18, 6)),
    )
    metadata.create_all(store.engine)
    yield table
    metadata.drop_all(store.engine)


def test_aware_datetimes_round_trip_as_utc(store: SiteStore, scratch: Table) -> None:
    rome = timezone(timedelta(hours=1))
    value = datetime(2026, 11, 27, 21, 30, 15, 123456, tzinfo=rome)
    with store.engine.begin() as conn:
        conn.execute(insert(scratch).values(id=1, at=value))
        back = conn.execute(select(scratch.c.at)).scalar_one()
    assert back == value
    assert back.utcoffset() == timedelta(0)


def test_naive_datetimes_are_refused(store: SiteStore, scratch: Table) -> None:
    with pytest.raises(StatementError, match="naive"), store.engine.begin() as conn:
        conn.execute(insert(scratch).values(id=1, at=datetime(2026, 1, 1)))


def test_decimals_round_trip_exactly(store: SiteStore, scratch: Table) -> None:
    with store.engine.begin() as conn:
        conn.execute(insert(scratch).values(id=1, amount=Decimal("123456789012.345678")))
        back = conn.execute(select(scratch.c.amount)).scalar_one()
    assert back == Decimal("123456789012.345678")

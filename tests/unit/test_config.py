"""Account configuration: the example loads, and every bad value is named precisely."""

import copy
import re

import pytest
import yaml

from amazon_passweb.config import (
    DEFAULT_ACCOUNTS_FILE,
    AmazonStatus,
    ConfigError,
    load_accounts,
    parse_accounts,
)


@pytest.fixture()
def raw():
    return yaml.safe_load(DEFAULT_ACCOUNTS_FILE.read_text())


def test_example_file_has_two_accounts_with_different_settings(raw):
    config = parse_accounts(raw)
    it, eu = config.accounts
    assert it.marketplaces == ["APJ6JRA9NG5V4"]
    assert set(eu.marketplaces) == {"A1PA6795UKMFR9", "A13V1IB3VIYZZH"}
    assert it.order_statuses != eu.order_statuses
    assert it.customer_ledgers != eu.customer_ledgers
    assert it.orders_series != eu.orders_series
    assert it.schedule != eu.schedule
    assert it.dag_id == "amazon_orders__it_main"
    assert it.sp_api_conn_id == "amazon_sp_api__it_main"


def test_accounts_file_env_var(tmp_path, monkeypatch, raw):
    raw["accounts"] = raw["accounts"][:1]
    path = tmp_path / "accounts.yaml"
    path.write_text(yaml.safe_dump(raw))
    monkeypatch.setenv("AMAZON_ACCOUNTS_FILE", str(path))
    assert [a.id for a in load_accounts().accounts] == ["it_main"]


def test_connection_id_override(raw):
    raw["accounts"][0]["connection_id"] = "my_amazon"
    assert parse_accounts(raw).accounts[0].sp_api_conn_id == "my_amazon"


@pytest.mark.parametrize(
    "value,expected",
    [("SI", True), ("NO", False), (True, True), (False, False), ("yes", True), ("off", False)],
)
def test_create_orders_accepts_si_no_and_yaml_booleans(raw, value, expected):
    raw["accounts"][0]["create_orders"] = value
    assert parse_accounts(raw).accounts[0].create_orders is expected


def test_statuses_accept_v0_names(raw):
    raw["accounts"][0]["order_statuses"] = ["Unshipped", "Canceled", "PartiallyShipped"]
    statuses = parse_accounts(raw).accounts[0].order_statuses
    assert statuses == [AmazonStatus.UNSHIPPED, AmazonStatus.CANCELLED, AmazonStatus.PARTIALLY_SHIPPED]


@pytest.mark.parametrize(
    "schedule,cron", [("hourly", "0 * * * *"), ("daily", "0 0 * * *"), (None, None), ("*/15 * * * *", None)]
)
def test_schedule_presets_and_cron(raw, schedule, cron):
    raw["accounts"][0]["schedule"] = schedule
    assert parse_accounts(raw).accounts[0].schedule == (cron or schedule)


def _mutate(raw, index, **changes):
    bad = copy.deepcopy(raw)
    for key, value in changes.items():
        if value is _DELETE:
            del bad["accounts"][index][key]
        else:
            bad["accounts"][index][key] = value
    return bad


_DELETE = object()

BAD_CASES = {
    "unknown marketplace": (1, {"marketplaces": ["A1PA6795UKMFR9", "XXXXXXXX"]}, "marketplaces",
                            "unknown marketplace id 'XXXXXXXX'"),
    "unknown status": (0, {"order_statuses": ["SHIPPED", "Delivered"]}, "order_statuses",
                       "unknown Amazon order status 'Delivered'"),
    "missing sezionale": (1, {"orders_series": _DELETE}, "orders_series", "is required"),
    "malformed mastro": (0, {"customer_ledgers": ["501", "50A1"]}, "customer_ledgers",
                         "malformed mastro code '50A1'"),
    "invalid cron": (1, {"schedule": "61 * * * *"}, "schedule", "not a valid cron expression"),
    "create_orders not SI/NO": (0, {"create_orders": "forse"}, "create_orders", "must be SI or NO"),
    "unknown field": (0, {"colour": "blue"}, "colour", "is not a known field"),
}


@pytest.mark.parametrize("case", BAD_CASES)
def test_bad_configuration_names_account_and_field(raw, case):
    index, changes, field, message = BAD_CASES[case]
    account_id = raw["accounts"][index]["id"]
    with pytest.raises(ConfigError) as error:
        parse_accounts(_mutate(raw, index, **changes))
    text = str(error.value)
    assert f"account {account_id!r}" in text
    assert f"field {field!r}" in text
    assert message in text


def test_duplicate_account_id(raw):
    raw["accounts"][1]["id"] = raw["accounts"][0]["id"]
    with pytest.raises(ConfigError, match=r"account 'it_main': field 'id': duplicate account id"):
        parse_accounts(raw)


@pytest.mark.parametrize("key", ["refresh_token", "client_secret", "password"])
def test_credentials_in_file_are_refused(raw, key):
    raw["accounts"][1][key] = "Atzr|secret-value"
    with pytest.raises(ConfigError) as error:
        parse_accounts(raw)
    text = str(error.value)
    assert "account 'eu_de_fr'" in text and f"field {key!r}" in text
    assert "amazon_sp_api__eu_de_fr" in text
    assert "secret-value" not in text


def test_nested_credentials_are_refused(raw):
    raw["accounts"][0]["lwa"] = {"client_secret": "x"}
    with pytest.raises(ConfigError, match=r"field 'lwa.client_secret'"):
        parse_accounts(raw)


def test_unreadable_and_invalid_files(tmp_path):
    with pytest.raises(ConfigError, match="cannot read the accounts file"):
        load_accounts(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("accounts: [\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_accounts(broken)
    empty = tmp_path / "empty.yaml"
    empty.write_text("foo: 1\n")
    with pytest.raises(ConfigError, match="'accounts' list"):
        load_accounts(empty)


def test_buyer_data_retention_and_purge_schedule(raw):
    config = parse_accounts(raw)
    assert config.buyer_data_retention_days == 30 and config.purge_schedule == "30 3 * * *"
    raw |= {"buyer_data_retention_days": 14, "purge_schedule": "daily"}
    config = parse_accounts(raw)
    assert config.buyer_data_retention_days == 14 and config.purge_schedule == "0 0 * * *"
    assert parse_accounts(raw | {"purge_schedule": "none"}).purge_schedule is None


@pytest.mark.parametrize("days", [0, 31, 365])
def test_buyer_data_cannot_be_kept_past_amazons_30_days(raw, days):
    with pytest.raises(ConfigError, match="buyer_data_retention_days"):
        parse_accounts(raw | {"buyer_data_retention_days": days})


@pytest.mark.parametrize("days", [-1, 31])
def test_the_delivery_margin_is_company_wide_ten_days_by_default_and_bounded(raw, days):
    """A confirmed shipment counts as delivered this long after, for retention (domain.md §7)."""
    assert {a.shipments.delivery_margin_days for a in parse_accounts(copy.deepcopy(raw)).accounts} == {10}
    assert {a.shipments.delivery_margin_days
            for a in parse_accounts(copy.deepcopy(raw) | {"delivery_margin_days": 5}).accounts} == {5}
    with pytest.raises(ConfigError, match="delivery_margin_days"):
        parse_accounts(copy.deepcopy(raw) | {"delivery_margin_days": days})
    raw["accounts"][0]["delivery_margin_days"] = 5
    with pytest.raises(ConfigError, match="it is company-wide"):
        parse_accounts(raw)


@pytest.mark.parametrize("seconds", [0, 3601])
def test_the_import_retry_delay_is_company_wide_a_minute_by_default_and_bounded(raw, seconds):
    """How long Airflow waits before retrying a failed import task (a killed task process)."""
    assert parse_accounts(copy.deepcopy(raw)).import_retry_delay_seconds == 60
    assert parse_accounts(copy.deepcopy(raw) | {"import_retry_delay_seconds": 5}).import_retry_delay_seconds == 5
    with pytest.raises(ConfigError, match="import_retry_delay_seconds"):
        parse_accounts(copy.deepcopy(raw) | {"import_retry_delay_seconds": seconds})
    raw["accounts"][0]["import_retry_delay_seconds"] = 5
    with pytest.raises(ConfigError, match="it is company-wide"):
        parse_accounts(raw)


def test_spesa_articles_are_company_wide_configuration_with_the_usual_defaults(raw):
    """Proves issue #17 item 8: the spesa articles and the rounding VAT exemption are read from the accounts file,
    default to SCSPED/CONFREG/PROMO/ARROTOND/E15, and reach every account."""
    defaults = parse_accounts(copy.deepcopy(raw)).accounts[0].spesa_articles
    assert (defaults.shipping_discount, defaults.gift_wrap, defaults.promotion, defaults.rounding,
            defaults.rounding_vat_code) == ("SCSPED", "CONFREG", "PROMO", "ARROTOND", "E15")
    raw["spesa_articles"] = {"gift_wrap": "REGALO", "rounding_vat_code": "N2"}
    config = parse_accounts(raw)
    for account in config.accounts:
        assert account.spesa_articles == config.spesa_articles
        assert (account.spesa_articles.gift_wrap, account.spesa_articles.rounding_vat_code) == ("REGALO", "N2")
        assert account.spesa_articles.promotion == "PROMO"


@pytest.mark.parametrize(("block", "per_account", "message"), [
    ({"rounding_vat_code": "22"}, False, "field 'spesa_articles.rounding_vat_code': '22' is a VAT rate"),
    ({"promotion": "CONFREG"}, False, "must be four different articles"),
    ({"promotion": "SPEDSTD"}, False, "account 'it_main': a shipping article is also one of spesa_articles"),
    ({"rounding": "X" * 21}, False, "field 'spesa_articles.rounding'"),
    ({"gift": "REGALO"}, False, "field 'spesa_articles.gift'"),
    ({"gift_wrap": "REGALO"}, True, "account 'it_main': field 'spesa_articles': it is company-wide"),
])
def test_bad_spesa_articles_are_named(raw, block, per_account, message):
    """Proves issue #17 item 8: a wrong spesa_articles block is refused at load time, saying which field."""
    if per_account:
        raw["accounts"][0]["spesa_articles"] = block
    else:
        raw["spesa_articles"] = block
    with pytest.raises(ConfigError, match=re.escape(message)):
        parse_accounts(raw)


def test_a_dumped_accounts_file_with_spesa_articles_loads_again(raw):
    """The company-wide block is dumped once, at the top, not inside each account: the dump loads again as it was."""
    raw["spesa_articles"] = {"promotion": "SCONTO"}
    config = parse_accounts(raw)
    again = parse_accounts(config.model_dump(mode="json"))
    assert again == config and again.accounts[1].spesa_articles.promotion == "SCONTO"


QUEUE = "https://sqs.eu-west-1.amazonaws.com/123456789012/amazon-orders-it-main"


def test_notifications_are_off_unless_configured(raw):
    assert parse_accounts(raw).accounts[0].notifications is None
    raw["accounts"][0]["notifications"] = {"queue_url": QUEUE}
    notifications = parse_accounts(raw).accounts[0].notifications
    assert (notifications.queue_url, notifications.aws_conn_id, notifications.seller_id,
            notifications.region_name) == (QUEUE, "aws_default", None, None)
    raw["accounts"][0]["notifications"] = {"queue_url": "http://127.0.0.1:5000/123456789012/q", "aws_conn_id":
                                           "aws_it", "seller_id": "A1STANDINSELLER", "region_name": "eu-west-1"}
    notifications = parse_accounts(raw).accounts[0].notifications
    assert (notifications.aws_conn_id, notifications.seller_id, notifications.region_name) == (
        "aws_it", "A1STANDINSELLER", "eu-west-1")


@pytest.mark.parametrize("notifications,message", [
    ({"queue_url": "arn:aws:sqs:eu-west-1:123456789012:amazon-orders"}, "http(s) URL"),
    ({"queue_url": "sqs.eu-west-1.amazonaws.com/123/q"}, "http(s) URL"),
    ({"queue_url": "https://sqs.eu-west-1.amazonaws.com/1 2/q"}, "http(s) URL"),
    ({}, "is required"),
    ({"queue_url": QUEUE, "queue_arn": "arn:aws:sqs:eu-west-1:1:q"}, "is not a known field"),
    ({"queue_url": QUEUE, "seller_id": "seller one"}, "seller_id"),
    ({"queue_url": QUEUE, "region_name": "Europe"}, "region_name"),
])
def test_bad_notification_settings_are_named(raw, notifications, message):
    raw["accounts"][1]["notifications"] = notifications
    with pytest.raises(ConfigError) as error:
        parse_accounts(raw)
    text = str(error.value)
    assert "account 'eu_de_fr'" in text and "notifications" in text and message in text, text

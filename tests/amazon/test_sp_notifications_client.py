"""ORDER_CHANGE messages and the Notifications API client, over real sockets.

The server below is a small Notifications API built from reference/sp-api/notifications.json: it
accepts only the operations' declared bodies (validated against the model), answers in the model's
shapes, and tells the grantless token (``client_credentials``) from the seller's (refresh token):
destinations want the first, subscriptions the second, as Amazon documents.
"""

from __future__ import annotations

import copy
import itertools
import json
import logging
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jsonschema
import pytest

from amazon_passweb.__main__ import main
from amazon_passweb.amazon.errors import AuthenticationError, SpApiError
from amazon_passweb.amazon.lwa import GRANTLESS_OPERATION, NOTIFICATIONS_SCOPE
from amazon_passweb.amazon.notifications import (
    InvalidQueueArn,
    NotificationError,
    NotificationsClient,
    OrderChange,
    parse_order_change,
    parse_queue_arn,
)
from amazon_passweb.amazon.rate_limit import RateLimiter
from amazon_passweb.amazon.settings import SpApiSettings

SPEC_DIR = Path(__file__).resolve().parents[2] / "reference" / "sp-api"
API = json.loads((SPEC_DIR / "notifications.json").read_text())
MESSAGE_SCHEMA = json.loads((SPEC_DIR / "OrderChangeNotification.json").read_text())
EXAMPLE = MESSAGE_SCHEMA["examples"][0]
CHANGE_TYPES = MESSAGE_SCHEMA["properties"]["Payload"]["properties"]["OrderChangeNotification"][
    "properties"]["OrderChangeType"]["enum"]

CLIENT_ID = "amzn1.application-oa2-client.test"
CLIENT_SECRET = "test-client-secret-XYZ"
REFRESH_TOKEN = "Atzr|test-refresh-token-XYZ"
QUEUE = "arn:aws:sqs:eu-west-1:123456789012:amazon-orders-it_main"
OTHER_QUEUE = "arn:aws:sqs:eu-west-1:123456789012:somebody-else"
GRANTLESS_OPERATIONS = {"getDestinations", "createDestination", "getDestination", "deleteDestination",
                        "getSubscriptionById", "deleteSubscriptionById"}


def _message(**changes: Any) -> dict[str, Any]:
    message = copy.deepcopy(EXAMPLE)
    message["Payload"]["OrderChangeNotification"].update(changes)
    return message


# -- messages -------------------------------------------------------------------------------------------


def test_the_schemas_own_example_is_read():
    jsonschema.validate(EXAMPLE, MESSAGE_SCHEMA)
    change = parse_order_change(json.dumps(EXAMPLE))
    assert change == OrderChange(
        order_id="903-8868176-2219830", seller_id="A3TH9S8BH6GOGM", marketplace_id="ATVPDKIKX0DER",
        change_type="BuyerRequestedChange", event_time=datetime(2020, 1, 11, 0, 9, 53, 109000, tzinfo=UTC),
        notification_id="d0e9e693-c3ad-4373-979f-ed4ec98dd746", order_status="Unshipped",
    )
    assert parse_order_change(json.dumps(EXAMPLE).encode()) == change
    # Nothing of the Summary beyond marketplace and status: no postal code, no items.
    assert "48110" not in json.dumps(change.as_dict())


@pytest.mark.parametrize("change_type", CHANGE_TYPES)
def test_each_change_type_is_read(change_type):
    message = _message(OrderChangeType=change_type)
    jsonschema.validate(message, MESSAGE_SCHEMA)
    assert parse_order_change(json.dumps(message)).change_type == change_type


def test_unknown_fields_and_a_missing_summary_are_tolerated():
    message = _message(SomethingNew={"a": 1})
    message["Extra"] = [1, 2]
    del message["Payload"]["OrderChangeNotification"]["Summary"]
    del message["NotificationMetadata"]
    message["EventTime"] = "2026-10-05T10:00:00+02:00"
    change = parse_order_change(json.dumps(message))
    assert (change.marketplace_id, change.order_status, change.notification_id) == (None, None, None)
    assert change.event_time == datetime(2026, 10, 5, 8, 0, tzinfo=UTC)


def test_as_dict_round_trips_through_json():
    change = parse_order_change(json.dumps(EXAMPLE))
    data = json.loads(json.dumps(change.as_dict()))
    assert data["event_time"] == "2020-01-11T00:09:53.109000+00:00"
    assert OrderChange.from_dict(data) == change
    with pytest.raises(NotificationError):
        OrderChange.from_dict({**data, "event_time": "yesterday"})


def _broken(mutate) -> str:
    message = _message()
    mutate(message)
    return json.dumps(message)


SECRET_WORDS = "Mario Rossi via Roma 1"
REFUSED = {
    "not json": "{" + SECRET_WORDS,
    "not utf-8": b"\xff\xfe" + SECRET_WORDS.encode(),
    "a list": json.dumps([SECRET_WORDS]),
    "another type": _broken(lambda m: m.update(NotificationType="ANY_OFFER_CHANGED")),
    "free text as type": _broken(lambda m: m.update(NotificationType=SECRET_WORDS)),
    "no type": _broken(lambda m: m.pop("NotificationType")),
    "no payload": _broken(lambda m: m.pop("Payload")),
    "no order id": _broken(lambda m: m["Payload"]["OrderChangeNotification"].pop("AmazonOrderId")),
    "empty seller": _broken(lambda m: m["Payload"]["OrderChangeNotification"].update(SellerId=" ")),
    "numeric order id": _broken(lambda m: m["Payload"]["OrderChangeNotification"].update(AmazonOrderId=7)),
    "bad event time": _broken(lambda m: m.update(EventTime=SECRET_WORDS)),
    "no event time": _broken(lambda m: m.pop("EventTime")),
}


@pytest.mark.parametrize("body", REFUSED.values(), ids=REFUSED.keys())
def test_unreadable_messages_are_refused_without_quoting_them(body):
    with pytest.raises(NotificationError) as refused:
        parse_order_change(body)
    text = str(refused.value)
    assert isinstance(refused.value, ValueError)
    for fragment in ("Mario", "Roma", "48110", "903-8868176", "A3TH9S8BH6GOGM", "OIID"):
        assert fragment not in text


def test_the_refusal_names_a_wellformed_other_type():
    with pytest.raises(NotificationError, match="ANY_OFFER_CHANGED"):
        parse_order_change(_broken(lambda m: m.update(NotificationType="ANY_OFFER_CHANGED")))


@pytest.mark.parametrize("arn", [
    "arn:aws:sqs:eu-west-1:123456789012:q", "arn:aws:sqs:us-gov-west-1:123456789012:orders.fifo",
    "arn:aws:sqs:ap-southeast-2:123456789012:" + "a" * 80,
])
def test_queue_arns_accepted(arn):
    assert parse_queue_arn(arn).arn == arn


@pytest.mark.parametrize("arn", [
    "", "https://sqs.eu-west-1.amazonaws.com/123456789012/q", "arn:aws:sns:eu-west-1:123456789012:q",
    "arn:aws:sqs:eu-west-1:12345:q", "arn:aws:sqs::123456789012:q", "arn:aws:sqs:eu-west-1:123456789012:",
    "arn:aws:sqs:eu-west-1:123456789012:a b", "arn:aws:sqs:eu-west-1:123456789012:" + "a" * 81,
])
def test_queue_arns_refused(arn):
    with pytest.raises(InvalidQueueArn, match="arn:aws:sqs:REGION:ACCOUNT:QUEUE"):
        parse_queue_arn(arn)


# -- a Notifications API built from the model ------------------------------------------------------------


def _operations() -> list[tuple[str, list[str], dict[str, Any]]]:
    found = []
    for path, operations in API["paths"].items():
        for method, operation in operations.items():
            if isinstance(operation, dict) and "operationId" in operation:
                found.append((method.upper(), path.strip("/").split("/"), operation))
    return found


OPERATIONS = _operations()


def _route(method: str, path: str) -> tuple[dict[str, Any], dict[str, str]] | None:
    parts = path.strip("/").split("/")
    for verb, template, operation in OPERATIONS:
        if verb != method or len(template) != len(parts):
            continue
        names = {}
        for expected, actual in zip(template, parts, strict=True):
            if expected.startswith("{"):
                names[expected[1:-1]] = actual
            elif expected != actual:
                break
        else:
            return operation, names
    return None


def _schema(schema: dict[str, Any]) -> dict[str, Any]:
    return {**schema, "definitions": API["definitions"]}


class FakeNotificationsApi:
    """Destinations per application, one subscription per (seller, type); tokens told apart."""

    def __init__(self) -> None:
        self.destinations: dict[str, dict[str, Any]] = {}
        self.subscriptions: dict[str, dict[str, Any]] = {}
        self.tokens: dict[str, str] = {}  # access token -> "seller" | "grantless"
        self.calls: list[tuple[str, str]] = []  # (operationId, token kind)
        self.lwa_forms: list[dict[str, str]] = []
        self.refuse_grantless = False
        self.refuse_secret = False
        self._ids = itertools.count(1)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FakeNotificationsApi:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def extra(self) -> dict[str, Any]:
        return {"refresh_token": REFRESH_TOKEN, "endpoint": self.base_url,
                "lwa_endpoint": f"{self.base_url}/auth/o2/token", "time_scale": 50}

    def settings(self) -> SpApiSettings:
        return SpApiSettings.from_connection_fields(CLIENT_ID, CLIENT_SECRET, self.extra())

    def operations(self) -> list[str]:
        return [operation for operation, _ in self.calls]

    # -- behaviour ----------------------------------------------------------------------------------

    def login(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        self.lwa_forms.append(form)
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET or self.refuse_secret:
            return 401, {"error": "invalid_client", "error_description": "Client authentication failed"}
        if form.get("grant_type") == "refresh_token" and form.get("refresh_token") == REFRESH_TOKEN:
            kind = "seller"
        elif form.get("grant_type") == "client_credentials" and form.get("scope") == NOTIFICATIONS_SCOPE:
            if self.refuse_grantless:
                return 400, {"error": "invalid_scope", "error_description": "The scope is not valid"}
            kind = "grantless"
        else:
            return 400, {"error": "invalid_grant", "error_description": "Not a valid grant"}
        token = f"Atza|{kind}-{uuid.uuid4().hex}"
        self.tokens[token] = kind
        return 200, {"access_token": token, "token_type": "bearer", "expires_in": 3600}

    def handle(self, operation: dict[str, Any], names: dict[str, str], query: dict[str, str], body: Any,
               token_kind: str) -> tuple[int, Any]:
        name = operation["operationId"]
        wanted = "grantless" if name in GRANTLESS_OPERATIONS else "seller"
        if token_kind != wanted:
            return 403, {"errors": [{"code": "Unauthorized", "message": "Access to requested resource is denied."}]}
        declared = {p["name"]: p for p in operation.get("parameters", [])}
        body_parameter = next((p for p in declared.values() if p["in"] == "body"), None)
        unknown = set(query) - {n for n, p in declared.items() if p["in"] == "query"}
        problem = None
        if unknown:
            problem = f"unknown query parameters {sorted(unknown)}"
        elif body_parameter is not None:
            error = jsonschema.exceptions.best_match(
                jsonschema.Draft4Validator(_schema(body_parameter["schema"])).iter_errors(body))
            problem = error.message if error is not None else None
        elif body is not None:
            problem = "this operation takes no body"
        if problem:
            return 400, {"errors": [{"code": "InvalidInput", "message": problem}]}
        if name == "getDestinations":
            return 200, {"payload": list(self.destinations.values())}
        if name == "createDestination":
            arn = body["resourceSpecification"]["sqs"]["arn"]
            if any(d["resource"]["sqs"]["arn"] == arn for d in self.destinations.values()):
                return 409, {"errors": [{"code": "Conflict", "message": "Destination already exists"}]}
            destination = {"destinationId": f"dest-{next(self._ids)}", "name": body["name"],
                           "resource": {"sqs": {"arn": arn}}}
            self.destinations[destination["destinationId"]] = destination
            return 200, {"payload": destination}
        if name == "getSubscription":
            found = self.subscriptions.get(names["notificationType"])
            if found is None:
                return 404, {"errors": [{"code": "NotFound", "message": "The resource specified does not exist."}]}
            return 200, {"payload": found}
        if name == "createSubscription":
            if names["notificationType"] in self.subscriptions:
                return 409, {"errors": [{"code": "Conflict", "message": "Subscription already exists"}]}
            if body["destinationId"] not in self.destinations:
                return 400, {"errors": [{"code": "InvalidInput", "message": "Unknown destination"}]}
            subscription = {"subscriptionId": f"sub-{next(self._ids)}", "payloadVersion": body["payloadVersion"],
                            "destinationId": body["destinationId"]}
            self.subscriptions[names["notificationType"]] = subscription
            return 200, {"payload": subscription}
        return 500, {"errors": [{"code": "InternalFailure", "message": f"{name} not served here"}]}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _serve(self) -> None:
                url = urlsplit(self.path)
                raw = self.rfile.read(int(self.headers.get("content-length") or 0))
                if url.path == "/auth/o2/token":
                    form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
                    return self._answer(*api.login(form))
                routed = _route(self.command, url.path)
                if routed is None:
                    return self._answer(404, {"errors": [{"code": "NotFound", "message": "no such operation"}]})
                operation, names = routed
                kind = api.tokens.get(self.headers.get("x-amz-access-token") or "")
                api.calls.append((operation["operationId"], kind or "none"))
                if kind is None:
                    return self._answer(403, {"errors": [{"code": "Unauthorized", "message": "bad token"}]})
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                status, body = api.handle(operation, names, query, json.loads(raw) if raw else None, kind)
                response = operation["responses"][str(status)]
                jsonschema.validate(body, _schema(response["schema"]))  # the model's shape, or no answer
                self._answer(status, body)

            do_GET = do_POST = do_DELETE = _serve

        return Handler


@pytest.fixture
def api() -> Iterator[FakeNotificationsApi]:
    server = FakeNotificationsApi().start()
    yield server
    server.stop()


def _client(api: FakeNotificationsApi) -> NotificationsClient:
    return NotificationsClient(api.settings())


# -- the client ------------------------------------------------------------------------------------------


def test_setup_creates_the_destination_then_the_subscription_each_with_its_token(api):
    with _client(api) as client:
        result = client.setup(QUEUE, name="amazon_passweb it_main")
    assert result.ready and not result.conflict
    assert result.destination_created and result.subscription_created
    assert result.destination.queue_arn == QUEUE and result.destination.name == "amazon_passweb it_main"
    assert result.subscription.destination_id == result.destination.destination_id
    assert result.subscription.payload_version == "1.0"
    assert api.calls == [("getDestinations", "grantless"), ("getSubscription", "seller"),
                         ("createDestination", "grantless"), ("createSubscription", "seller")]
    grants = sorted((form["grant_type"], form.get("scope"), "refresh_token" in form) for form in api.lwa_forms)
    assert grants == [("client_credentials", NOTIFICATIONS_SCOPE, False), ("refresh_token", None, True)]


def test_setup_twice_creates_nothing(api):
    with _client(api) as client:
        first = client.setup(QUEUE)
    api.calls.clear()
    with _client(api) as client:
        again = client.setup(QUEUE)
    assert again.ready and not again.destination_created and not again.subscription_created
    assert (again.destination, again.subscription) == (first.destination, first.subscription)
    assert api.operations() == ["getDestinations", "getSubscription"]
    assert len(api.destinations) == 1 and len(api.subscriptions) == 1


def test_existing_destination_is_reused_and_subscribed(api):
    with _client(api) as client:
        destination = client.create_destination(QUEUE, "made earlier")
        api.calls.clear()
        result = client.setup(QUEUE)
    assert result.ready and not result.destination_created and result.subscription_created
    assert result.destination == destination
    assert api.operations() == ["getDestinations", "getSubscription", "createSubscription"]


def test_a_subscription_to_another_destination_is_reported_not_replaced(api):
    with _client(api) as client:
        other = client.setup(OTHER_QUEUE)
        api.calls.clear()
        result = client.setup(QUEUE)
    assert result.conflict and not result.ready
    assert result.subscription == other.subscription
    assert result.existing_destination == other.destination
    assert not result.destination_created and not result.subscription_created and result.destination is None
    assert api.operations() == ["getDestinations", "getSubscription"]
    assert list(api.subscriptions.values())[0]["destinationId"] == other.destination.destination_id


def test_describe_reads_destinations_and_subscription(api):
    with _client(api) as client:
        empty = client.describe()
        assert (empty.destinations, empty.subscription, empty.subscribed_destination) == ((), None, None)
        made = client.setup(QUEUE)
        state = client.describe()
    assert state.subscription == made.subscription and state.subscribed_destination == made.destination


@pytest.mark.parametrize("operation", ["getDestinations", "getSubscription"])
def test_the_usage_plan_is_one_per_second_burst_five(api, operation):
    clock = [0.0]

    def sleep(seconds: float) -> None:
        clock[0] += seconds

    limiter = RateLimiter(clock=lambda: clock[0], sleep=sleep)
    with NotificationsClient(api.settings(), limiter=limiter) as client:
        call = client.destinations if operation == "getDestinations" else client.subscription
        for _ in range(7):
            call()
    assert client.stats.calls[operation] == 7
    assert client.stats.rate_limit_wait == pytest.approx(2.0)  # five at once, then one a second


def test_a_refused_grantless_login_is_an_authentication_error(api):
    api.refuse_grantless = True
    with _client(api) as client, pytest.raises(AuthenticationError) as refused:
        client.destinations()
    assert refused.value.operation == GRANTLESS_OPERATION and refused.value.code == "invalid_scope"
    assert api.calls == []  # nothing reached the API without a token


def test_the_seller_token_is_refused_by_destination_operations(api):
    """The server tells the tokens apart, so the checks above could fail."""
    with _client(api) as client:
        with pytest.raises(SpApiError) as refused:
            client.transport.call("getDestinations", "GET", "/notifications/v1/destinations")
        assert refused.value.status == 403
        with pytest.raises(SpApiError) as refused:
            client.transport.call("getSubscription", "GET", "/notifications/v1/subscriptions/ORDER_CHANGE",
                                  token=client.grantless)
        assert refused.value.status == 403


def test_a_destination_registered_meanwhile_is_used(api):
    with _client(api) as client:
        real = client.destinations
        listings = iter([lambda: [], real])  # the first listing is taken before another setup registers it
        client.destinations = lambda: next(listings)()
        created = NotificationsClient(api.settings()).create_destination(QUEUE, "meanwhile")
        api.calls.clear()
        result = client.setup(QUEUE)
    assert result.ready and not result.destination_created and result.subscription_created
    assert result.destination == created
    assert api.operations() == ["getSubscription", "createDestination", "getDestinations", "createSubscription"]


def test_a_subscription_made_meanwhile_is_judged_not_replaced(api):
    with _client(api) as client:
        real = client.subscription
        readings = iter([lambda _type: None, real])  # read before another setup subscribed elsewhere
        client.subscription = lambda notification_type="ORDER_CHANGE": next(readings)(notification_type)
        other = NotificationsClient(api.settings()).setup(OTHER_QUEUE)
        result = client.setup(QUEUE)
    assert result.conflict and result.subscription == other.subscription and not result.subscription_created
    assert result.existing_destination == other.destination
    assert api.subscriptions["ORDER_CHANGE"]["destinationId"] == other.destination.destination_id


def test_setup_refuses_a_bad_arn_before_calling_amazon(api):
    with _client(api) as client, pytest.raises(InvalidQueueArn):
        client.setup("arn:aws:sqs:eu-west-1:42:q")
    assert api.calls == [] and api.lwa_forms == []


# -- the command line ------------------------------------------------------------------------------------


@pytest.fixture
def connection(api, monkeypatch):
    monkeypatch.delenv("AMAZON_ACCOUNTS_FILE", raising=False)
    monkeypatch.setenv("AIRFLOW_CONN_AMAZON_SP_API__IT_MAIN", json.dumps(
        {"conn_type": "http", "login": CLIENT_ID, "password": CLIENT_SECRET, "extra": api.extra()}))
    return api


def test_the_hook_builds_the_client_from_the_accounts_connection(connection):
    from amazon_passweb.amazon.hook import SpApiHook
    from amazon_passweb.config import load_accounts

    with SpApiHook.notifications_client_for_account(load_accounts().account("it_main")) as client:
        # Neither the secret as basic auth nor the extras as headers on the session.
        assert client.session.auth is None
        assert not any("Atzr" in str(value) for value in client.session.headers.values())
        assert client.setup(QUEUE).ready
    assert connection.operations() == ["getDestinations", "getSubscription", "createDestination",
                                       "createSubscription"]


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    for secret in (CLIENT_SECRET, REFRESH_TOKEN, "Atza|"):
        assert secret not in out + err
    return code, out, err


def test_command_setup_then_again_then_show(connection, capsys, caplog):
    caplog.set_level(logging.DEBUG)
    code, out, err = _run(capsys, "notifications", "setup", "it_main", "--queue-arn", QUEUE)
    assert code == 0, err
    destination = next(iter(connection.destinations))
    subscription = connection.subscriptions["ORDER_CHANGE"]["subscriptionId"]
    assert f"Destination {destination} for queue {QUEUE}: created." in out
    assert f"ORDER_CHANGE subscription {subscription} (payload 1.0): created." in out
    assert f"Set up: Amazon sends the ORDER_CHANGE notifications of account it_main to {QUEUE}." in out

    code, out, _ = _run(capsys, "notifications", "setup", "it_main", "--queue-arn", QUEUE)
    assert code == 0 and out.count("already there, reused.") == 2

    code, out, _ = _run(capsys, "notifications", "show", "it_main")
    assert code == 0
    assert f"subscription {subscription} (payload 1.0) delivers to destination {destination} (queue {QUEUE})" in out
    assert "Destinations of the application: 1" in out
    for secret in (CLIENT_SECRET, REFRESH_TOKEN, "Atza|"):
        assert secret not in caplog.text


def test_command_show_without_subscription(connection, capsys):
    code, out, _ = _run(capsys, "notifications", "show", "it_main")
    assert code == 1 and "no ORDER_CHANGE subscription" in out and "notifications setup it_main" in out


def test_command_reports_a_conflict(connection, capsys):
    assert _run(capsys, "notifications", "setup", "it_main", "--queue-arn", OTHER_QUEUE)[0] == 0
    code, out, err = _run(capsys, "notifications", "setup", "it_main", "--queue-arn", QUEUE)
    assert code == 1 and out == ""
    assert f"already delivers to destination dest-1 (queue {OTHER_QUEUE}), not to {QUEUE}" in err
    assert "Nothing was created or changed" in err and len(connection.destinations) == 1


def test_command_refuses_a_bad_arn(connection, capsys):
    code, out, err = _run(capsys, "notifications", "setup", "it_main", "--queue-arn", "my-queue")
    assert code == 1 and "is not an SQS queue ARN" in err and connection.lwa_forms == []


@pytest.mark.parametrize("refusal", ["secret", "grantless"])
def test_command_reports_a_refused_login(connection, capsys, refusal):
    setattr(connection, f"refuse_{refusal}", True)
    code, out, err = _run(capsys, "notifications", "setup", "it_main", "--queue-arn", QUEUE)
    assert code == 1 and out == "" and "Login with Amazon refused" in err
    assert "grantless login" in err  # the first call is getDestinations
    assert ("invalid_scope" if refusal == "grantless" else "invalid_client") in err
    assert connection.destinations == {}


def test_command_without_connection(monkeypatch, capsys):
    monkeypatch.delenv("AMAZON_ACCOUNTS_FILE", raising=False)
    monkeypatch.delenv("AIRFLOW_CONN_AMAZON_SP_API__IT_MAIN", raising=False)
    code, _, err = _run(capsys, "notifications", "show", "it_main")
    assert code == 1 and "PROBLEM connection 'amazon_sp_api__it_main'" in err
    code, _, err = _run(capsys, "notifications", "show", "nobody")
    assert code == 1 and "PROBLEM configuration" in err


# -- against the SP-API stand-in, with a real SQS server ----------------------------------------------------


@pytest.fixture
def sqs_endpoint(local_sqs, monkeypatch) -> str:
    """The stand-in runs in this process and sends with boto3's default credentials."""
    for name, value in local_sqs.client_env().items():
        monkeypatch.setenv(name, value)
    return local_sqs.endpoint_url


def _queue(endpoint: str, name: str) -> tuple[Any, str, str]:
    import boto3

    sqs = boto3.client("sqs", endpoint_url=endpoint, region_name="eu-west-1")
    name = f"{name}-{uuid.uuid4().hex[:8]}"  # the module's tests share one server
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return sqs, url, arn


def test_the_standin_delivers_order_changes_the_product_reads(sqs_endpoint, amazon_standins):
    standin = amazon_standins([], sqs_endpoint=sqs_endpoint, seller_id="A1SELLERIT")
    sqs, url, arn = _queue(sqs_endpoint, "amazon-orders-it_main")
    settings = SpApiSettings(**standin.settings_kwargs())
    with NotificationsClient(settings) as client:
        first = client.setup(arn, name="amazon_passweb it_main")
        again = client.setup(arn)
        state = client.describe()
    assert first.ready and first.destination_created and first.subscription_created
    assert again.ready and not again.destination_created and not again.subscription_created
    assert state.subscribed_destination.queue_arn == arn

    placed = standin.place_orders(3, seed=5)
    changes: list[OrderChange] = []
    for _ in range(50):
        for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
                "Messages", []):
            changes.append(parse_order_change(message["Body"]))
        if len(changes) >= len(placed):
            break
    assert sorted(change.order_id for change in changes) == sorted(placed)
    assert {change.seller_id for change in changes} == {"A1SELLERIT"}
    assert all(change.event_time.tzinfo is UTC and change.notification_id for change in changes)


def test_the_standin_reports_a_conflicting_subscription(sqs_endpoint, amazon_standins):
    standin = amazon_standins([], sqs_endpoint=sqs_endpoint)
    arns = [_queue(sqs_endpoint, name)[2] for name in ("amazon-orders-it_main", "elsewhere")]
    with NotificationsClient(SpApiSettings(**standin.settings_kwargs())) as client:
        other = client.setup(arns[1])
        result = client.setup(arns[0])
    assert result.conflict and result.existing_destination == other.destination
    assert result.destination is None and not result.destination_created

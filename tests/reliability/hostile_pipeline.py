"""The hostile input catalogue's machinery: base orders, patches, and the real import pipeline.

A case of ``hostile_orders.yaml`` is a patch applied to a realistic base order in the
searchOrders v2026-01-01 shape (a merchant-fulfilled Amazon.it order of the generator,
with its money rewritten to one known item so each patch can state exact amounts). The
whole catalogue, plus a set of ordinary orders, goes through the pipeline as one batch:
Amazon stand-in over HTTP → OrdersClient → inbox (rejected orders included) → selection →
reconciliation → site orders → push to the gestionale stand-in.

Patch operations (applied in this order):

- ``delete``: dotted paths to remove (``orderItems.0.product.sellerSku``);
- ``set``: dotted path → value; intermediate objects are created;
- ``items``: the base item repeated N times (distinct item ids; totals scaled);
- ``twice``: the order is served twice in the same page (``newer``: the second copy a day later).

Value macros: ``{"$repeat": text, "times": n}``, ``{"$concat": [part, ...]}`` and ``{"$chr": code}``
(for characters YAML cannot carry, e.g. a lone surrogate).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from amazon_passweb.amazon.client import OrdersClient
from amazon_passweb.amazon.settings import SpApiSettings
from amazon_passweb.config import AccountConfig
from amazon_passweb.gestionale.client import GestionaleClient
from amazon_passweb.importer.pipeline import AccountImport
from amazon_passweb.site.unit_of_work import SiteStore
from sandbox.amazon.generate import generate_orders
from sandbox.amazon.server import running_standin
from sandbox.amazon.state import StandInConfig

CATALOGUE = Path(__file__).with_name("hostile_orders.yaml")
IT = "APJ6JRA9NG5V4"
WINDOW_START = datetime(2026, 9, 1, tzinfo=UTC)  # before every generated order
OUTCOMES = {"imported", "failed", "rejected", "skipped", "not_fetched", "import_refused"}
BASE_UNIT_PRICE, BASE_SHIPPING, BASE_TOTAL = "19.90", "4.90", "24.80"


V2026, V0 = "2026-01-01", "v0"
API_VERSIONS = (V2026, V0)


@dataclass(frozen=True)
class Case:
    number: int
    name: str
    description: str
    patch: dict[str, Any]
    expect: dict[str, Any]
    v0: dict[str, Any] = field(default_factory=dict)  # what differs on v0: expect / skip / domain_differs
    run: dict[str, Any] = field(default_factory=dict)  # a case about the account and the seller: its own import

    def expectation(self, api_version: str) -> dict[str, Any]:
        return self.expect | (self.v0.get("expect") or {}) if api_version == V0 else self.expect

    def served_on(self, api_version: str) -> bool:
        """In the batch of ``api_version`` (a run-level case never is: it runs as an import of its own)."""
        return not self.run and (api_version != V0 or "skip" not in self.v0)

    @property
    def order_id(self) -> str:
        """The id the base order of this case gets (a patch may change or remove it)."""
        return f"408-{9000000 + self.number:07d}-{self.number * 7919 % 10**7:07d}"

    @property
    def buyer_email(self) -> str:
        return f"hostile-{self.number:03d}@marketplace.amazon.it"


def load_cases(path: Path = CATALOGUE) -> list[Case]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    cases = [Case(number, entry["name"], entry["description"], entry.get("patch") or {}, entry["expect"],
                  entry.get("v0") or {}, entry.get("run") or {})
             for number, entry in enumerate(raw["cases"], start=1)]
    names = [case.name for case in cases]
    assert len(names) == len(set(names)), "case names must be unique"
    for case in cases:
        assert case.expect["outcome"] in OUTCOMES, f"{case.name}: unknown outcome {case.expect['outcome']}"
        assert set(case.patch) <= {"set", "delete", "items", "twice"}, f"{case.name}: unknown patch op"
        assert set(case.v0) <= {"expect", "skip", "domain_differs"}, f"{case.name}: unknown v0 key"
        assert (case.expect["outcome"] == "import_refused") == bool(case.run), f"{case.name}: run ⇔ import_refused"
    return cases


# -- base orders ------------------------------------------------------------------------------------

def _money(amount: str) -> dict[str, str]:
    return {"amount": amount, "currencyCode": "EUR"}


def _base_item(order_item_id: str, source: dict[str, Any]) -> dict[str, Any]:
    """One ART001 at 19.90 with 4.90 shipping, VAT 22% included (3.59 + 0.88)."""
    breakdowns = [
        {"type": "ITEM", "subtotal": _money(BASE_UNIT_PRICE)},
        {"type": "SHIPPING", "subtotal": _money(BASE_SHIPPING)},
        {"type": "TAX", "subtotal": _money("4.47"), "detailedBreakdowns": [
            {"subtype": "ITEM", "value": _money("3.59")}, {"subtype": "SHIPPING", "value": _money("0.88")}]},
    ]
    return {
        "orderItemId": order_item_id,
        "quantityOrdered": 1,
        "product": {
            "asin": source["product"]["asin"],
            "title": "Tazza in ceramica decorata a mano",
            "sellerSku": "ART001",
            "condition": {"conditionType": "NEW", "conditionSubtype": "NEW", "conditionNote": ""},
            "price": {"unitPrice": _money(BASE_UNIT_PRICE)},
        },
        "proceeds": {"proceedsTotal": _money(BASE_TOTAL), "breakdowns": breakdowns},
        "fulfillment": {"quantityFulfilled": 0, "quantityUnfulfilled": 1},
    }


def generated_it_orders(count: int, seed: int) -> list[dict[str, Any]]:
    """Realistic orders the it_main account imports: Amazon.it, merchant-fulfilled, private buyers."""
    return [o for o in generate_orders(count, seed)
            if o["salesChannel"]["marketplaceId"] == IT and o["fulfillment"]["fulfilledBy"] == "MERCHANT"
            and o["fulfillment"]["fulfillmentStatus"] in ("UNSHIPPED", "PARTIALLY_SHIPPED", "SHIPPED")
            and "AMAZON_BUSINESS" not in o["programs"] and o.get("recipient")]


def base_order(case: Case, source: dict[str, Any]) -> dict[str, Any]:
    """``source`` (a generated order: its buyer, address and dates) with the case's id and known money."""
    order = copy.deepcopy(source)
    order["orderId"] = case.order_id
    order["fulfillment"]["fulfillmentStatus"] = "UNSHIPPED"
    order["orderItems"] = [_base_item(f"{case.number:04d}000000001", source["orderItems"][0])]
    order["proceeds"] = {
        "grandTotal": _money(BASE_TOTAL),
        "breakdowns": [{"type": "ITEM", "subtotal": _money(BASE_UNIT_PRICE)},
                       {"type": "SHIPPING", "subtotal": _money(BASE_SHIPPING)}],
    }
    order["buyer"]["buyerEmail"] = case.buyer_email
    return order


# -- patches ----------------------------------------------------------------------------------------

def _value(spec: Any) -> Any:
    if isinstance(spec, dict) and "$repeat" in spec:
        return str(spec["$repeat"]) * int(spec["times"])
    if isinstance(spec, dict) and "$concat" in spec:
        return "".join(str(_value(part)) for part in spec["$concat"])
    if isinstance(spec, dict) and "$chr" in spec:
        return chr(int(spec["$chr"]))
    if isinstance(spec, dict):  # macros may sit deeper, e.g. in a list of tax registrations
        return {key: _value(value) for key, value in spec.items()}
    if isinstance(spec, list):
        return [_value(value) for value in spec]
    return copy.deepcopy(spec)


def _walk(order: dict[str, Any], path: str, create: bool) -> tuple[Any, str | int]:
    keys: list[str | int] = [int(k) if k.isdigit() else k for k in path.split(".")]
    node: Any = order
    for key in keys[:-1]:
        node = node.setdefault(key, {}) if isinstance(node, dict) and create else node[key]
    return node, keys[-1]


def apply_patch(order: dict[str, Any], patch: dict[str, Any]) -> list[dict[str, Any]]:
    """The served copies of the patched order (two when the case is ``twice``)."""
    order = copy.deepcopy(order)
    for path in patch.get("delete") or ():
        node, key = _walk(order, path, create=False)
        node.pop(key, None)  # some base orders have no addressLine2: deleting it is a no-op
    for path, spec in (patch.get("set") or {}).items():
        node, key = _walk(order, path, create=True)
        node[key] = _value(spec)
    if patch.get("items"):
        template = order["orderItems"][0]
        count = int(patch["items"])
        order["orderItems"] = []
        for index in range(count):
            item = copy.deepcopy(template)
            item["orderItemId"] = f"{template['orderItemId'][:-4]}{index:04d}"
            order["orderItems"].append(item)
        total = (float(BASE_UNIT_PRICE) + float(BASE_SHIPPING)) * count
        order["proceeds"]["grandTotal"]["amount"] = f"{total:.2f}"
    copies = [order]
    twice = patch.get("twice")
    if twice:
        second = copy.deepcopy(order)
        if twice == "newer":
            updated = datetime.fromisoformat(order["lastUpdatedTime"].replace("Z", "+00:00"))
            second["lastUpdatedTime"] = (updated + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        copies.append(second)
    return copies


# -- the pipeline -----------------------------------------------------------------------------------

@dataclass
class PipelineRun:
    run_id: str
    store: SiteStore
    rejected: list = field(default_factory=list)  # the RejectedOrder the client handed over
    counts: dict[str, Any] = field(default_factory=dict)
    ordinary_ids: list[str] = field(default_factory=list)  # set by the caller
    gestionale_path: Path | None = None  # the gestionale stand-in's database, set by the caller
    api_version: str = V2026
    calls: dict[str, int] = field(default_factory=dict)  # Amazon calls by operation


def standin_config() -> StandInConfig:
    # Amazon's rate limits a thousand times faster, tokens that outlive the test.
    return StandInConfig(time_scale=1000.0, token_lifetime=36000.0, rdt_lifetime=36000.0)


def orders_client(standin, api_version: str = V2026) -> OrdersClient:
    return OrdersClient(SpApiSettings(**(standin.settings_kwargs() | {"timeout": 10.0})), api_version)


def run_import(orders: list[dict[str, Any]], store: SiteStore, account: AccountConfig,
               gestionale: GestionaleClient, run_id: str = "hostile-run", api_version: str = V2026) -> PipelineRun:
    """The account DAG's steps (``importer.pipeline``), in order, against the Amazon stand-in serving
    ``orders``."""
    run = PipelineRun(run_id, store, api_version=api_version)
    with running_standin(orders, standin_config()) as standin, orders_client(standin, api_version) as client:
        pages = client.iter_pages(WINDOW_START, None, marketplace_ids=account.marketplaces,
                                  on_rejected=run.rejected.append)
        done = AccountImport(store, account, run_id).run(pages, gestionale, rejected=run.rejected)
        run.calls = dict(client.stats.calls)
    run.counts.update(fetched=done.fetch.counts.fetched, rejected=done.fetch.rejected_recorded,
                      selection=done.select, reconcile=done.reconcile, create=done.create, push=done.push)
    return run


def batch(cases: list[Case], ordinary: int, seed: int = 7, api_version: str = V2026
          ) -> tuple[list[dict[str, Any]], list[str]]:
    """Every case's served copies plus ``ordinary`` untouched generated orders (their ids returned).

    Each case keeps its base order whatever the API version, so both batches hold the same orders
    (less the cases that have no form in that version)."""
    sources = generated_it_orders(400, seed)
    assert len(sources) >= len(cases) + ordinary, "not enough generated orders"
    served: list[dict[str, Any]] = []
    for case, source in zip(cases, sources, strict=False):
        if case.served_on(api_version):
            served += apply_patch(base_order(case, source), case.patch)
    plain = [copy.deepcopy(o) for o in sources[len(cases):len(cases) + ordinary]]
    return served + plain, [o["orderId"] for o in plain]


def iter_rejected_raw(store: SiteStore, account: AccountConfig) -> Iterator[tuple[str, Any, str, str | None]]:
    """(inbox id, raw order, the operator's reason, its technical detail) of every rejected entry."""
    from amazon_passweb.site.states import InboxStatus

    with store.unit_of_work(read_only=True) as uow:
        for entry in uow.inbox.entries(account.id, statuses=(InboxStatus.REJECTED,), limit=1000):
            yield entry.amazon_order_id, entry.payload["rejected_raw"], entry.last_error, entry.last_error_detail

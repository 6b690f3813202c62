"""Fixtures for the SP-API client and stand-in tests: live stand-ins on localhost (the shared
``amazon_standins``) and OpenAPI validation."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from amazon_passweb.amazon.client import OrdersClient
from amazon_passweb.amazon.settings import SpApiSettings
from amazon_passweb.amazon.transport import CallRecord
from sandbox.amazon.generate import generate_orders
from sandbox.amazon.server import RunningStandIn

ROOT = Path(__file__).resolve().parents[2]
SPEC_DIR = ROOT / "reference" / "sp-api"
SPEC_FILES = {"v2026": "orders_2026-01-01.json", "v0": "ordersV0.json", "tokens": "tokens_2021-03-01.json"}


class OpenApi:
    """Validate requests and responses against Amazon's Swagger 2.0 models."""

    def __init__(self) -> None:
        self.specs = {key: json.loads((SPEC_DIR / name).read_text()) for key, name in SPEC_FILES.items()}
        self._validators: dict[tuple[int, str], jsonschema.Draft4Validator] = {}
        self._operations = []
        for spec in self.specs.values():
            for path, operations in spec["paths"].items():
                pattern = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$")
                for method, operation in operations.items():
                    if isinstance(operation, dict) and "operationId" in operation:
                        self._operations.append((method.upper(), pattern, path, operation, spec))

    def operation(self, method: str, path: str) -> tuple[dict[str, Any], dict[str, Any]]:
        matches = [
            (len(t), op, spec) for m, p, t, op, spec in self._operations if m == method and p.match(path)
        ]
        assert matches, f"{method} {path} is not an operation of the official models"
        _, operation, spec = max(matches, key=lambda match: match[0])
        return operation, spec

    def schema(self, spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
        return {**schema, "definitions": spec["definitions"]}

    def validate(self, instance: Any, spec: dict[str, Any], schema: dict[str, Any]) -> None:
        """Validate with a cached validator (building one per call is slow on these large models)."""
        key = (id(spec), json.dumps(schema, sort_keys=True))
        validator = self._validators.get(key)
        if validator is None:
            validator = self._validators[key] = jsonschema.Draft4Validator(self.schema(spec, schema))
        error = jsonschema.exceptions.best_match(validator.iter_errors(instance))
        if error is not None:
            raise error

    def validate_request(self, record: CallRecord) -> None:
        operation, spec = self.operation(record.method, record.path)
        declared = {p["name"]: p for p in operation.get("parameters", []) if "name" in p}
        for name, parameter in declared.items():
            if parameter.get("required") and parameter["in"] == "query":
                assert name in record.params, f"{operation['operationId']}: required {name} missing"
        for name, raw in record.params.items():
            assert name in declared and declared[name]["in"] == "query", (
                f"{operation['operationId']}: undeclared query parameter {name}"
            )
            parameter = declared[name]
            value: Any = raw
            if parameter["type"] == "array":
                value = raw.split(",")
            elif parameter["type"] == "integer":
                value = int(raw)
            keys = ("type", "items", "enum", "maxItems", "minItems", "minimum", "maximum", "maxLength")
            jsonschema.validate(value, {k: parameter[k] for k in keys if k in parameter})
            if parameter.get("format") == "date-time":
                assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$", raw), raw
        body_parameter = next((p for p in declared.values() if p["in"] == "body"), None)
        if body_parameter is not None:
            self.validate(record.body, spec, body_parameter["schema"])
        else:
            assert record.body is None

    def validate_response(self, method: str, path: str, status: int, body: Any) -> None:
        operation, spec = self.operation(method, path)
        response = operation["responses"].get(str(status))
        assert response is not None, f"{operation['operationId']} does not declare HTTP {status}"
        if "schema" in response:
            self.validate(body, spec, response["schema"])

    def validate_definition(self, instance: Any, key: str, name: str) -> None:
        self.validate(instance, self.specs[key], {"$ref": f"#/definitions/{name}"})


@pytest.fixture(scope="session")
def openapi() -> OpenApi:
    return OpenApi()


@pytest.fixture(scope="session")
def sample_orders() -> list[dict[str, Any]]:
    return generate_orders(240, seed=11)


@pytest.fixture
def standin_factory(amazon_standins: Callable[..., RunningStandIn]) -> Callable[..., RunningStandIn]:
    """Start stand-ins on free ports; each test gets fresh buckets."""
    return amazon_standins


@pytest.fixture
def client_factory(openapi: OpenApi) -> Iterator[Callable[..., OrdersClient]]:
    """Clients whose every request and answer is checked against the official models."""
    clients = []

    def make(standin: RunningStandIn, api_version: str = "2026-01-01", validate: bool = True,
             **overrides: Any) -> OrdersClient:
        settings = SpApiSettings(**(standin.settings_kwargs() | {"timeout": 5.0} | overrides))
        client = OrdersClient(settings, api_version)  # type: ignore[arg-type]
        if validate:
            def check(record: CallRecord) -> None:
                openapi.validate_request(record)
                if record.status is not None and record.response is not None:
                    openapi.validate_response(record.method, record.path, record.status, record.response)

            client.transport.observers.append(check)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()

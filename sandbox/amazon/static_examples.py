"""Amazon's static sandbox: answer with the ``x-amzn-api-sandbox`` examples of the official models.

A request matches an example when its parameters (path, query and body) are exactly
the example's; anything else gets Amazon's sandbox answer for unmatched input.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SPEC_FILES = ("orders_2026-01-01.json", "ordersV0.json", "tokens_2021-03-01.json")
SPEC_DIR_ENV = "SP_API_SPEC_DIR"


def default_spec_dir() -> Path:
    if os.environ.get(SPEC_DIR_ENV):
        return Path(os.environ[SPEC_DIR_ENV])
    # Amazon's models, vendored in the repository (reference/sp-api/SOURCE.md)
    return Path(__file__).resolve().parents[2] / "reference" / "sp-api"


@dataclass(frozen=True)
class Example:
    operation: str
    method: str
    path: str  # template, e.g. /orders/v0/orders/{orderId}
    status: int
    parameters: dict[str, Any]
    response: Any
    array_params: frozenset[str]

    def path_regex(self) -> re.Pattern[str]:
        return re.compile("^" + re.sub(r"\\\{([^}]+)\\\}", r"(?P<\1>[^/]+)", re.escape(self.path)) + "$")


def load_examples(spec_dir: Path | None = None) -> list[Example]:
    spec_dir = spec_dir or default_spec_dir()
    examples = []
    for name in SPEC_FILES:
        spec = json.loads((spec_dir / name).read_text(encoding="utf-8"))
        for path, operations in spec["paths"].items():
            for method, operation in operations.items():
                if not isinstance(operation, dict) or "operationId" not in operation:
                    continue
                arrays = frozenset(
                    p["name"] for p in operation.get("parameters", []) if p.get("type") == "array"
                )
                for status, response in operation.get("responses", {}).items():
                    for case in (response.get("x-amzn-api-sandbox") or {}).get("static", []):
                        params = {k: v["value"] for k, v in case["request"]["parameters"].items()}
                        examples.append(
                            Example(
                                operation["operationId"],
                                method.upper(),
                                path,
                                int(status),
                                params,
                                case.get("response"),
                                arrays,
                            )
                        )
    return examples


def _request_parameters(example: Example, match: re.Match[str], query: dict[str, str], body: Any) -> dict:
    params: dict[str, Any] = dict(match.groupdict())
    for key, value in query.items():
        params[key] = value.split(",") if key in example.array_params else value
    if body is not None:
        params["body"] = body
    return params


def find_example(
    examples: list[Example], method: str, path: str, query: dict[str, str], body: Any
) -> Example | None:
    for example in examples:
        if example.method != method:
            continue
        match = example.path_regex().match(path)
        if match and _request_parameters(example, match, query, body) == example.parameters:
            return example
    return None

"""The Passepartout gestionale: WebAPI client, site order -> OC/OX document mapping, pushes.

Import the pieces from their modules; the names below are the public surface.
"""

from amazon_passweb.gestionale.client import Created, GestionaleClient
from amazon_passweb.gestionale.errors import (
    ConfigurationRefused,
    CredentialsRefused,
    DocumentRefused,
    GestionaleBusy,
    GestionaleError,
    GestionaleUnavailable,
    PushStopped,
    UncertainCreate,
    UnexpectedResponse,
    WritesNotExclusive,
)
from amazon_passweb.gestionale.mapping import (
    CustomerInput,
    OrderInput,
    OrderRowInput,
    ShippingAddressInput,
    UnmappableDocument,
    build_customer,
    build_document,
    build_shipping_address,
)
from amazon_passweb.gestionale.push import OrderPush, PushResult, push_order, push_orders
from amazon_passweb.gestionale.settings import WebApiSettings
from amazon_passweb.gestionale.shipments import DeliveryDocument, EvadedRow

__all__ = [
    "ConfigurationRefused",
    "Created",
    "CredentialsRefused",
    "CustomerInput",
    "DeliveryDocument",
    "DocumentRefused",
    "EvadedRow",
    "GestionaleClient",
    "GestionaleBusy",
    "GestionaleError",
    "GestionaleUnavailable",
    "UnmappableDocument",
    "OrderInput",
    "OrderPush",
    "OrderRowInput",
    "PushResult",
    "PushStopped",
    "ShippingAddressInput",
    "UncertainCreate",
    "UnexpectedResponse",
    "WebApiSettings",
    "WritesNotExclusive",
    "build_customer",
    "build_document",
    "build_shipping_address",
    "push_order",
    "push_orders",
]

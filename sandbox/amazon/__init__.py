"""Local stand-in for Amazon's Selling Partner API: LWA, Orders v2026-01-01 and v0 (with
``confirmShipment``), Tokens, ``/_standin/...`` controls (stats, faults, reset, cancelling an
order after import, a buyer's request to cancel) and ``POST /_sandbox/orders/{orderId}`` (a JSON
merge patch to a stored order). Documented in include/amazon_passweb/amazon/README.md
("The local stand-in")."""

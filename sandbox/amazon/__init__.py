"""Local stand-in for Amazon's Selling Partner API: LWA, Orders v2026-01-01 and v0 (with
``confirmShipment``), Tokens, and ``/_standin/...`` controls (stats, faults, reset, cancelling an
order after import, a buyer's request to cancel). Documented in include/amazon_passweb/amazon/README.md
("The local stand-in")."""

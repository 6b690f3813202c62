"""Local stand-in for Amazon's Selling Partner API: LWA, Orders v2026-01-01 and v0 (with
``confirmShipment``), Tokens, Notifications (destinations, subscriptions, ORDER_CHANGE messages
sent to SQS queues), ``/_standin/...`` controls (stats, faults, reset, cancelling an order after
import, a buyer's request to cancel, notification faults and report), ``POST /_sandbox/orders``
(new orders placed now) and ``POST /_sandbox/orders/{orderId}`` (a JSON merge patch to a stored
order). Documented in include/amazon_passweb/amazon/README.md
("The local stand-in")."""

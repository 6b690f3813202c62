"""Fixtures of the report tests; the helpers live in notify_fixtures so tests can import them."""

from notify_fixtures import busy_report, smtp_connection, smtp_server

__all__ = ["busy_report", "smtp_connection", "smtp_server"]

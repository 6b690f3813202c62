"""Fixtures of the report tests: the sample report; the helpers live in notify_fixtures so tests can
import them. The SMTP server and its connection are the shared ones (tests/fixtures/mail.py)."""

from notify_fixtures import busy_report

__all__ = ["busy_report"]

"""The Airflow side of ``notify/``: sending through the Airflow SMTP connection.

The only module of ``notify/`` that uses Airflow, and only when an email is sent: the provider
is imported inside :meth:`AirflowSmtpTransport.send`, so rendering a report needs no Airflow.
"""

from __future__ import annotations

from amazon_passweb.notify.message import EmailContent, build_mime_message
from amazon_passweb.notify.transport import DEFAULT_SMTP_CONN_ID, FALLBACK_SENDER, Delivery


class AirflowSmtpTransport:
    """Through the Airflow SMTP provider: host, port, TLS, login and ``from_email`` come from
    the Airflow connection (``AIRFLOW_CONN_<ID>`` env var, secrets backend or metadata DB).

    The hook reconnects by itself, without pause, up to the connection's ``retry_limit``
    extra (default 5) when the server drops the line; :class:`RetryPolicy` adds the paced
    retries on top, so ``retry_limit: 0`` keeps the total small.
    """

    def __init__(self, conn_id: str = DEFAULT_SMTP_CONN_ID) -> None:
        self.conn_id = conn_id
        self.name = f"Airflow connection {conn_id!r}"

    def send(self, content: EmailContent, recipients: list[str], from_email: str | None) -> Delivery:
        from airflow.providers.smtp.hooks.smtp import SmtpHook  # heavy: only when sending

        with SmtpHook(smtp_conn_id=self.conn_id) as hook:
            sender = from_email or hook.from_email or FALLBACK_SENDER
            message = build_mime_message(content, sender, recipients)
            # The hook's send_email_smtp builds an HTML-only body; to send a text/HTML
            # alternative we hand our own message to the client the hook connected and logged in
            # (``_smtp_client``: the provider has no public method that sends a caller's message).
            refused = hook._smtp_client.send_message(message, from_addr=sender, to_addrs=recipients)
        return Delivery(message["Message-ID"], tuple(refused))

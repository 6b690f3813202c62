"""The leak scan (leak_scan.py) finds a credential and a buyer's data in each form it could take."""

from __future__ import annotations

import base64
import html
import json
from urllib.parse import quote, quote_plus, urlencode

from tests.reliability.leak_scan import buyer_needles, credential, scan

SECRET = 'Pwd:+/"\\Fragment4e2a9c&%'
NEEDLE = credential("test secret", SECRET, "Fragment4e2a9c")
ORDER = {"buyer": {"buyerName": "Niccolò D'Antonio", "buyerEmail": "d38ac80afdf0@marketplace.amazon.it"},
         "recipient": {"deliveryAddress": {"addressLine1": "Via XX Settembre, 54", "phone": "+39 377 606 3581"}},
         "tax": {"taxRegistrations": [{"taxRegistrationNumber": "IT56641009266"}]}}


def test_every_form_of_a_credential_is_found():
    basic = base64.b64encode(f"webapi:{SECRET}".encode()).decode()
    forms = [SECRET, quote(SECRET, safe=""), quote_plus(SECRET).lower(), json.dumps({"password": SECRET}),
             html.escape(SECRET), urlencode({"client_secret": SECRET}), f"Authorization: Basic {basic}",
             base64.urlsafe_b64encode(b"xx" + SECRET.encode()).decode(), f"password=***{SECRET[6:]}"]  # cut short
    for form in forms:
        assert [f.label for f in scan("log", f"before {form} after", [NEEDLE])] == ["credential: test secret"], form


def test_every_form_of_buyer_data_is_found_whatever_the_case():
    needles = buyer_needles([ORDER])
    forms = ["NICCOLÒ D'ANTONIO", json.dumps("Niccolò D'Antonio"), html.escape("Niccolò D'Antonio"),
             "Niccolò D&#39;Antonio", "D'Antonio Niccolò", "393776063581",
             quote_plus("d38ac80afdf0@marketplace.amazon.it"), "via xx settembre, 54", "IT56641009266",
             '"ShippingAddress": {"Name": "Nic']
    for form in forms:
        assert scan("log", f"x {form} y", needles), form
    assert scan("log", "order 405-1124750-6034923: 2 rows, total 24.80 EUR, customer 501.00042", needles) == []

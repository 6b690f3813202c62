"""Every request the product sent to the gestionale during this test session, checked against the
published WebAPI description (reference/mexal-webapi), not against what the stand-in accepted.

The stand-ins record each request they receive (sandbox/gestionale/recorder.py) in the file named
by GESTIONALE_REQUEST_LOG, set for the whole session by tests/conftest.py; this module runs last.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections import Counter
from pathlib import Path

import pytest
from mexal_reference import MexalReference

from amazon_passweb.gestionale.client import GestionaleClient
from amazon_passweb.gestionale.mapping import (
    CustomerInput,
    ShippingAddressInput,
    build_customer,
    build_shipping_address,
)
from amazon_passweb.gestionale.settings import USER_AGENT, WebApiSettings
from sandbox.gestionale.gate import AuthSettings
from sandbox.gestionale.server import running_standin

REFERENCE = MexalReference()
PRODUCT_AGENT = USER_AGENT.split("/")[0]
AUTH = {"authorization": "Passepartout <credentials> Dominio=demo", "coordinate-gestionale": "Azienda=DEMO Anno=2026"}
JSON = {**AUTH, "content-type": "application/json"}


def request(method: str, path: str, body: object = None, query: str = "", headers: dict | None = None) -> dict:
    text = json.dumps(body) if body is not None else ""
    return {"method": method, "path": path, "query": query, "headers": headers or (JSON if text else AUTH),
            "body": text}


THE_OLD_INVENTED_REQUESTS = {
    "document path without risorse": request("POST", "/webapi/documenti/ordini-clienti", {"sigla": "OX"}),
    "customer as privato": request("POST", "/webapi/risorse/clienti",
                                   {"codice": "501.00001", "ragione_sociale": "Rossi", "privato": True}),
    "customer nazione": request("POST", "/webapi/risorse/clienti",
                                {"codice": "501.00001", "ragione_sociale": "Rossi", "nazione": "IT"}),
    "address ragione_sociale": request("POST", "/webapi/risorse/indirizzi-spedizione",
                                       {"cod_conto": "501.00001", "ragione_sociale": "Rossi"}),
    "paging in the ricerca body": request("POST", "/webapi/risorse/clienti/ricerca",
                                          {"filtri": [{"campo": "email", "condizione": "=", "valore": "a@b.it"}],
                                           "max": 1, "fields": ["codice"]}),
    "ricerca without filters": request("POST", "/webapi/risorse/articoli/ricerca", {"filtri": []}),
    "fields that do not exist": request("POST", "/webapi/risorse/articoli/ricerca",
                                        {"filtri": [{"campo": "codice", "condizione": "=", "valore": "X"}]},
                                        query="fields=codice,cod_iva,spesa"),
    "document totals": request("POST", "/webapi/risorse/documenti/ordini-clienti",
                               {"sigla": "OX", "serie": 1, "numero": 0, "totale_documento": 10}),
    "rows as plain lists": request("POST", "/webapi/risorse/documenti/ordini-clienti",
                                   {"sigla": "OX", "serie": 1, "numero": 0, "quantita": [2]}),
    "unknown condition": request("POST", "/webapi/risorse/clienti/ricerca",
                                 {"filtri": [{"campo": "email", "condizione": "like", "valore": "a"}]}),
    "no Coordinate-Gestionale": request("GET", "/webapi/risorse/clienti/501.00001",
                                        headers={"authorization": "Passepartout <credentials>"}),
}


@pytest.mark.parametrize("name", sorted(THE_OLD_INVENTED_REQUESTS))
def test_the_reference_refuses_what_no_real_mexal_accepts(name):
    assert REFERENCE.problems(THE_OLD_INVENTED_REQUESTS[name])


def test_the_reference_accepts_documented_requests():
    documented = [
        request("POST", "/webapi/risorse/clienti/ricerca",
                {"filtri": [{"campo": "partita_iva", "condizione": "=", "valore": ["IT1", "1"],
                             "case_insensitive": True}]}, query="max=1&fields=codice"),
        request("GET", "/webapi/risorse/articoli", query="fields=codice,descrizione,alq_iva&max=500&next=abc"),
        request("POST", "/webapi/risorse/documenti/ordini-clienti",
                {"sigla": "OC", "serie": 1, "numero": 0, "cod_conto": "501.00001", "data_documento": "20260616",
                 "id_riga": [[1, 0]], "tp_riga": [[1, "R"]], "codice_articolo": [[1, "ATT001"]],
                 "quantita": [[1, 2]], "cod_iva": [[1, "22"]]}),
        request("GET", "/webapi/risorse/documenti/ordini-clienti/OC+1+541"),
        request("GET", "/webapi/risorse/articoli/4142432F31", query="encoding=hex"),
        request("POST", "/webapi/risorse/documenti/movimenti-magazzino/righe/ricerca",
                {"filtri": [{"campo": "sigla", "condizione": "=", "valore": ["BC", "FT"]},
                            {"campo": "data_documento", "condizione": ">=", "valore": "20261201"},
                            {"campo": "numero_ordine", "condizione": ">", "valore": 0}]},
                query="max=1000&fields=sigla,serie,numero,cod_conto,sigla_ordine,id_riga_orig,quantita"),
        request("POST", "/webapi/risorse/documenti/movimenti-magazzino/ricerca",
                {"filtri": [{"campo": "data_documento", "condizione": "<=", "valore": "20261205"}]},
                query="fields=sigla,cod_vettore,nr_tracking,dt_spedizione,ora_spedizione&next=abc"),
    ]
    assert [REFERENCE.problems(r) for r in documented] == [[]] * len(documented)


def _push_one_of_each(tmp_path: Path) -> None:
    """A customer, an address and the searches around them, through the product's client: so the
    check has the client's own requests even when this module runs alone."""
    auth = AuthSettings(users={"webapi": "webapi"}, dominio="demo", aziende=("DEMO",))
    with running_standin(tmp_path, auth=auth) as running:
        client = GestionaleClient(WebApiSettings(base_url=running.base_url, user="webapi", password="webapi",
                                                 dominio="demo", azienda="DEMO"), settle_s=0.01)
        customer = build_customer(CustomerInput(name="Maria De Luca", email="maria@example.it",
                                                address_line1="Via Roma 1", postal_code="00100", city="Roma",
                                                province="RM"))
        code = client.ensure_customer(customer, ["501"]).key
        address = build_shipping_address(ShippingAddressInput(name="Ufficio De Luca", address_line1="Via Po 2",
                                                              postal_code="10100", city="Torino"), code)
        client.ensure_shipping_address(address)
        assert client.get_customer(code)["cognome"] == "De Luca"
        today = dt.date.today()
        assert list(client.delivery_documents(today.replace(day=1), today)) == []  # nothing delivered yet


@pytest.mark.runs_last
def test_every_request_sent_to_the_gestionale_conforms(tmp_path):
    _push_one_of_each(tmp_path)
    log = Path(os.environ["GESTIONALE_REQUEST_LOG"])
    requests = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    problems: Counter[str] = Counter()
    endpoints: Counter[str] = Counter()
    for recorded in requests:
        if not recorded["headers"].get("user-agent", "").startswith(PRODUCT_AGENT):
            continue  # the stand-in's own tests send deliberately wrong requests
        endpoints[f"{recorded['method']} {recorded['path'].split('?')[0].rsplit('/', 1)[0]}"] += 1
        problems.update(REFERENCE.problems(recorded))
    print(f"\ngestionale conformance: {len(requests)} requests recorded, {sum(endpoints.values())} checked, "
          f"{len(endpoints)} endpoints, {sum(problems.values())} problems")
    assert sum(endpoints.values()) >= 5
    assert not problems, "\n".join(f"{n}× {p}" for p, n in problems.most_common(30))

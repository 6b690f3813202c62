"""Annulling an order document's rows after Amazon cancelled the order: the product's client against
the stand-in over sockets, and the stand-in's refusals of what the reference does not allow."""

from __future__ import annotations

import pytest
from gestionale_builders import customer, order, row
from standin_http import YEAR, created_key, get, post, put, refused
from test_gestionale_shipments import MOVEMENTS, movement

from amazon_passweb.gestionale.cancellation import annul_rows, evading_movements, rows_of
from amazon_passweb.gestionale.errors import DocumentRefused
from amazon_passweb.gestionale.push import OrderPush, push_order

CATEGORY = 7


def pushed(client, account, amazon_id: str) -> tuple[str, str]:
    """A product order document with two article rows and a note row: (its key, its customer)."""
    rows = [row(1, "ART001", "24.40", 2), row(2, "ART002", "10.00")]
    result = push_order(client, account, OrderPush(order(amazon_id, buyer=customer(int(amazon_id[-1])), rows=rows)))
    assert result.ok, result.error
    return result.document_key, result.customer_code


def documents(standin) -> int:
    return standin.store.run("SELECT COUNT(*) FROM documenti")[0][0]


def read(standin, key: str) -> dict:
    answer = get(standin, f"documenti/ordini-clienti/{key}")
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_every_row_is_annulled_with_the_category_and_the_document_kept(standin, client, account):
    key, _ = pushed(client, account, "406-0000000-0000001")
    before = read(standin, key)
    count = documents(standin)

    done = annul_rows(client, key, CATEGORY)

    after = read(standin, key)
    rows = rows_of(after)
    assert done.sent and done.rows == len(rows) == len(rows_of(before)) >= 3  # the note rows too
    assert {r["tipo_stato_riga"] for r in rows.values()} == {"N"}
    assert {r["cat_annul_riga"] for r in rows.values()} == {CATEGORY}
    assert after["codice_articolo"] == before["codice_articolo"] and after["quantita"] == before["quantita"]
    assert [r["id_riga"] for r in rows.values()] == [r["id_riga"] for r in rows_of(before).values()]
    assert documents(standin) == count, "annulled, never deleted nor duplicated"
    # asked again (a retry, a second run): nothing is sent, nothing changes
    assert not annul_rows(client, key, CATEGORY).sent
    assert read(standin, key)["data_ult_mod"] == after["data_ult_mod"]


def test_a_revision_whose_answer_is_lost_is_read_again_not_sent_twice(standin, client, account):
    key, _ = pushed(client, account, "406-0000000-0000002")
    standin.faults.update(drop_after_revision_next=1)
    sent = []
    request = client.transport.request

    def counting(method, path, *args, **kwargs):
        sent.append(method)
        return request(method, path, *args, **kwargs)

    client.transport.request = counting

    done = annul_rows(client, key, CATEGORY)

    assert not done.sent, "the first revision was applied; the re-read found every row annullata"
    assert sent.count("PUT") == 1 and sent.count("GET") == 2
    assert {r["tipo_stato_riga"] for r in rows_of(read(standin, key)).values()} == {"N"}


def test_without_a_category_the_rows_are_annulled_without_one(standin, client, account):
    key, _ = pushed(client, account, "406-0000000-0000003")
    annul_rows(client, key, None)
    assert {r["tipo_stato_riga"] for r in rows_of(read(standin, key)).values()} == {"N"}


def test_a_document_evaded_by_a_movement_is_found_and_not_annulled_by_the_standin(standin, client, account):
    key, conto = pushed(client, account, "406-0000000-0000004")
    other, _ = pushed(client, account, "406-0000000-0000005")
    document = read(standin, key)
    articles, ids = dict(document["codice_articolo"]), dict(document["id_riga"])
    art001 = next(ids[i] for i, code in articles.items() if code == "ART001")
    delivery = created_key(post(standin, MOVEMENTS, movement(conto, "1201", [("ART001", 1, art001)], key)))

    assert evading_movements(client, key) == ["+".join(delivery.split("+")[:3])]
    assert evading_movements(client, other) == []
    with pytest.raises(DocumentRefused, match="evasa"):
        annul_rows(client, key, CATEGORY)
    assert "N" not in {r.get("tipo_stato_riga") for r in rows_of(read(standin, key)).values()}


def test_the_standin_refuses_what_the_reference_does_not_allow(standin, client, account):
    key, _ = pushed(client, account, "406-0000000-0000006")
    document = read(standin, key)
    rows = rows_of(document)
    every = {"id_riga": [[i, r["id_riga"]] for i, r in rows.items()],
             "tp_riga": [[i, r["tp_riga"]] for i, r in rows.items()]}
    base = {"sigla": document["sigla"], "serie": document["serie"], "numero": document["numero"],
            "data_ult_mod": document["data_ult_mod"]}
    path = f"documenti/ordini-clienti/{key}"
    # a state outside E/S/B/N
    assert refused(put(standin, path, base | every | {"tipo_stato_riga": [[1, "X"]]}),
                   "Riga 1: stato riga 'X' non valido")
    # a category on a row that is not annullata
    assert refused(put(standin, path, base | every | {"cat_annul_riga": [[1, CATEGORY]]}),
                   "Riga 1: categoria di annullamento ammessa solo su una riga annullata (N)")
    # a revision without data_ult_mod, or without the rows' id_riga and tp_riga
    no_stamp = {k: v for k, v in base.items() if k != "data_ult_mod"}
    assert refused(put(standin, path, no_stamp | every | {"tipo_stato_riga": [[1, "N"]]}),
                   "Campo 'data_ult_mod' obbligatorio in revisione")
    assert refused(put(standin, path, base | {"tipo_stato_riga": [[1, "N"]]}),
                   "Riga 1: in revisione vanno indicati 'id_riga' e 'tp_riga'")
    # a field the reference does not publish
    assert put(standin, path, base | every | {"stato_riga": [[1, "N"]]}).status_code == 400
    assert read(standin, key)["data_ult_mod"] == document["data_ult_mod"], "nothing was applied"
    assert YEAR  # the stand-in's working year is the current one (standin_http)

"""A document the gestionale refuses: the order stays Registrato, the operator reads why in Italian and
what to do; the gestionale's own answer is kept as the technical detail, for the log and the CSV."""

from importer_helpers import amazon_order, site_order

from amazon_passweb.importer.run_outcomes import PUSH_FAILED
from amazon_passweb.site.states import OrderState


def test_a_refused_document_is_explained_in_italian_with_the_gestionale_answer_apart(
    importer, store, it_main, standin, caplog
):
    first = amazon_order()
    importer.run([first], run_id="run-1")
    standin.standin.reset()  # the customer was deleted in the gestionale since
    again = amazon_order(buyer=first.buyer, delivery=first.delivery_address)

    with caplog.at_level("WARNING", logger="amazon_passweb.importer.partial_push"):
        importer.run([again], run_id="run-2")

    assert site_order(store, it_main, again.amazon_order_id).state is OrderState.REGISTRATO
    with store.unit_of_work(read_only=True) as uow:
        step = uow.inbox.history(it_main.id, again.amazon_order_id)[-1]
    assert step.outcome == PUSH_FAILED
    assert step.message.startswith(
        "Il gestionale ha rifiutato i dati dell'ordine: correggi nel sito o nel "
        "gestionale il dato indicato nel dettaglio tecnico"
    )
    assert "resta Registrato" in step.message and "inesistente" not in step.message
    assert step.detail.startswith("DocumentRefused:") and "inesistente" in step.detail  # the gestionale's words
    assert step.detail in caplog.text  # and in the task log

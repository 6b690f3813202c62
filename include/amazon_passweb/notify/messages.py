"""Every reason the operator reads, in Italian: one catalogue for the report email, its CSV, the
orders page and the sync email, so each says the same thing in the same words.

A message says what happened, what to do and where. It is rendered once, where the importer
records it, and stored as text (the inbox's last error, the order's history); the English
technical detail (an exception's text, the gestionale's ``response-detail``) travels next to it,
never instead of it: to the task log and to the CSV's detail column, not to the emails or pages.

Values in a text come from Amazon or the gestionale and may be hostile: they are cut to one
short line here; HTML escaping and the CSV formula guard happen where the text is shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from string import Formatter

from amazon_passweb.notify.sanitize import clean_text

VALUE_LENGTH = 200  # one value inside a text: an SKU, a status, an amount, a list of account ids
DETAIL_LENGTH = 2000  # the technical detail, as the log and the CSV keep it


class Kind(StrEnum):
    # an order that cannot become a site order (importer.order_builder, importer.steps)
    NO_ITEMS = "no_items"
    BAD_QUANTITY = "bad_quantity"
    NEGATIVE_PRICE = "negative_price"
    UNKNOWN_SKU = "unknown_sku"
    MISSING_VAT = "missing_vat"
    VAT_NOT_CONFIGURED = "vat_not_configured"
    TOTALS_MISMATCH = "totals_mismatch"
    ZERO_AMAZON_TOTAL = "zero_amazon_total"
    AMOUNT_TOO_LARGE = "amount_too_large"
    NO_BUYER_DATA = "no_buyer_data"
    PENDING_WITHOUT_ADDRESS = "pending_without_address"
    UNIDENTIFIABLE_BUYER = "unidentifiable_buyer"
    UNEXPECTED = "unexpected"
    # orders Amazon sent unreadable (importer.rejected)
    UNREADABLE_ORDER = "unreadable_order"
    UNREADABLE_UPDATE = "unreadable_update"
    # orders left out on purpose (importer.steps, importer.dry_run)
    SKIPPED_MARKETPLACE = "skipped_marketplace"
    SKIPPED_STATUS = "skipped_status"
    ALREADY_IMPORTED = "already_imported"
    SITE_ORDER_CREATED = "site_order_created"
    SITE_ORDER_PRESENT = "site_order_present"
    AFN_INCOMPLETE = "afn_incomplete"
    AFN_COMPLETED = "afn_completed"
    AFN_PLACEHOLDER = "afn_placeholder"
    AFN_RELEASED = "afn_released"
    CUSTOMER_BY_IDENTITY = "customer_by_identity"
    CANCELLED_AFTER_IMPORT = "cancelled_after_import"
    # an imported order that changed on Amazon (importer.cancellations, domain.md §7)
    CANCELLED_NOT_SENT = "cancelled_not_sent"
    CANCELLED_ROWS_ANNULLED = "cancelled_rows_annulled"
    CANCELLED_AFTER_SHIPPING = "cancelled_after_shipping"
    CANCEL_REQUESTED = "cancel_requested"
    CANCEL_NOT_APPLIED = "cancel_not_applied"
    # the push towards the gestionale (importer.partial_push), by the gestionale error's type
    PUSHED = "pushed"
    PUSHED_SHORTENED = "pushed_shortened"
    PUSH_REFUSED = "push_refused"
    PUSH_UNAVAILABLE = "push_unavailable"
    PUSH_OUTCOME_UNKNOWN = "push_outcome_unknown"
    PUSH_UNCERTAIN = "push_uncertain"
    PUSH_UNEXPECTED = "push_unexpected"
    PUSH_MAPPING = "push_mapping"
    PUSH_FAILED = "push_failed"
    # the gestionale stopping a whole push or sync
    GESTIONALE_CREDENTIALS = "gestionale_credentials"
    GESTIONALE_CONFIGURATION = "gestionale_configuration"
    GESTIONALE_UNAVAILABLE = "gestionale_unavailable"
    GESTIONALE_BUSY = "gestionale_busy"
    GESTIONALE_ERROR = "gestionale_error"
    PUSH_SUMMARY = "push_summary"
    # the site–gestionale sync (importer.sync, orchestration.sync_tasks)
    SYNC_COMPLETED = "sync_completed"
    SYNC_FIRST_TOTAL = "sync_first_total"
    SYNC_IMPORTS_FAILED = "sync_imports_failed"
    SYNC_BUSY = "sync_busy"
    SYNC_QUOTA_USED_UP = "sync_quota_used_up"
    SYNC_INTERRUPTED = "sync_interrupted"
    SYNC_PARTIAL_INTERRUPTED = "sync_partial_interrupted"
    SYNC_ERROR = "sync_error"
    IMPORT_BEFORE_SYNC_FAILED = "import_before_sync_failed"
    IMPORT_BEFORE_SYNC_PAUSED = "import_before_sync_paused"
    IMPORT_BEFORE_SYNC_LATE = "import_before_sync_late"
    # an account's import run as a whole (orchestration.account_tasks, importer.notify_run), on the accounts page
    IMPORT_FETCH_FAILED = "import_fetch_failed"
    IMPORT_FETCH_REFUSED = "import_fetch_refused"
    IMPORT_FROM_NOTIFICATIONS = "import_from_notifications"
    NOTIFICATIONS_OFF = "notifications_off"
    NOTIFICATIONS_ON = "notifications_on"
    NOTIFICATIONS_WAITING = "notifications_waiting"
    IMPORT_ABANDONED = "import_abandoned"
    SYNC_ABANDONED = "sync_abandoned"
    IMPORT_PUSH_FAILED = "import_push_failed"
    IMPORT_PUSH_ERROR = "import_push_error"
    EMAIL_SENT = "email_sent"
    EMAIL_NOT_SENT = "email_not_sent"
    # shipment confirmation to Amazon (importer.shipments), on the report and the orders page
    SHIPMENT_CONFIRMED = "shipment_confirmed"
    SHIPMENT_WAITING_TRACKING = "shipment_waiting_tracking"
    SHIPMENT_REFUSED = "shipment_refused"
    SHIPMENT_CANCELLED = "shipment_cancelled"
    SHIPMENT_UNMATCHED = "shipment_unmatched"
    SHIPMENT_RETRY = "shipment_retry"
    SHIPMENTS_GESTIONALE_FAILED = "shipments_gestionale_failed"


_RETRIED = "l'ordine viene ritentato a ogni import"
_NEXT_PUSH = "l'ordine resta Registrato e il prossimo invio al gestionale lo ritenta"

TEXTS: dict[Kind, str] = {
    Kind.NO_ITEMS: (
        "Amazon ha inviato l'ordine senza articoli: ordine non importato. Controllalo in Seller Central; "
        f"{_RETRIED}, quando Amazon lo invia completo viene importato"
    ),
    Kind.BAD_QUANTITY: (
        "L'articolo «{sku}» ha quantità {quantity}: riga non valida, ordine non importato. Controlla l'ordine "
        f"in Seller Central; {_RETRIED}"
    ),
    Kind.NEGATIVE_PRICE: (
        "L'articolo «{sku}» ha un prezzo negativo ({price}), ma Amazon indica gli sconti come promozioni: "
        f"ordine non importato. Controllalo in Seller Central; {_RETRIED}"
    ),
    Kind.UNKNOWN_SKU: (
        "SKU «{sku}» (ASIN {asin}) non collegato a un articolo: ordine non importato. Collegalo a un articolo "
        "del gestionale nella tabella degli SKU Amazon del sito (oppure imposta l'articolo per gli SKU "
        "sconosciuti dell'account); il prossimo import importerà l'ordine"
    ),
    Kind.MISSING_VAT: (
        "L'articolo {article} non ha l'aliquota IVA e Amazon non la indica: ordine non importato. Imposta "
        "l'aliquota sull'articolo nel gestionale e sincronizza gli articoli; il prossimo import importerà l'ordine"
    ),
    Kind.VAT_NOT_CONFIGURED: (
        "IVA estera non configurata: {reason} (paese {country}, aliquota {rate}): ordine non importato. "
        "Aggiungi il codice IVA del gestionale per quel paese e quell'aliquota in vat.codes del file degli "
        "account; il prossimo import importerà l'ordine"
    ),
    Kind.TOTALS_MISMATCH: (
        "Importi non coerenti: articoli, spedizione, confezioni regalo e promozioni sommano {total}, "
        "ma il totale dell'ordine su Amazon è {expected}: ordine non importato. Controlla l'ordine in "
        f"Seller Central; {_RETRIED}"
    ),
    Kind.ZERO_AMAZON_TOTAL: (
        "Amazon indica un totale dell'ordine di {expected}, ma articoli, spedizione, confezioni regalo e "
        "promozioni sommano {total}: ordine non importato (il totale non viene ricavato dagli articoli). "
        f"Controlla l'ordine in Seller Central; {_RETRIED}"
    ),
    Kind.AMOUNT_TOO_LARGE: (
        "Importo fuori scala: {amount} supera il massimo che il sito registra (100.000 miliardi): ordine "
        f"non importato. Controlla l'ordine in Seller Central; {_RETRIED}"
    ),
    Kind.NO_BUYER_DATA: (
        "Amazon non ha inviato né il nome dell'acquirente né l'indirizzo di spedizione (ordine non "
        f"spedito da Logistica Amazon): ordine non importato. Controllalo in Seller Central; {_RETRIED}"
    ),
    Kind.PENDING_WITHOUT_ADDRESS: (
        "Ordine ancora {status} su Amazon, che non fornisce l'indirizzo di spedizione: in attesa, non "
        "importato. Verrà importato quando Amazon ne invierà una versione con l'indirizzo (di solito quando "
        "passa a Unshipped); non serve fare altro"
    ),
    Kind.UNIDENTIFIABLE_BUYER: (
        "Acquirente non identificabile: Amazon non ha inviato un'email utilizzabile né nome e indirizzo "
        f"o partita IVA; ordine non importato. Controllalo in Seller Central; {_RETRIED}"
    ),
    Kind.UNEXPECTED: (
        "Errore imprevisto nell'elaborazione dell'ordine ({error_type}): ordine non importato. "
        f"Il dettaglio è nel log del task; {_RETRIED}, se l'errore si ripete segnalalo all'assistenza"
    ),
    Kind.UNREADABLE_ORDER: (
        "Amazon ha inviato l'ordine con dati mancanti o non validi: ordine non importato. Verrà importato "
        "quando Amazon ne invierà una versione leggibile; il dettaglio tecnico è nel CSV e nel log del task"
    ),
    Kind.UNREADABLE_UPDATE: (
        "Amazon ha inviato un aggiornamento non leggibile di un ordine già importato: ignorato, "
        "l'ordine nel sito resta com'era"
    ),
    Kind.SKIPPED_MARKETPLACE: (
        "Marketplace {marketplace} non collegato all'account {account}: ordine scartato. Se i suoi ordini "
        "vanno importati, aggiungilo ai marketplace dell'account"
    ),
    Kind.SKIPPED_STATUS: (
        "Stato Amazon {status} non tra gli stati importati ({wanted}): ordine scartato; verrà importato "
        "se Amazon lo porterà in uno di quegli stati"
    ),
    Kind.ALREADY_IMPORTED: "Già importato: ordine sito {site_order}",
    Kind.SITE_ORDER_CREATED: "Ordine sito {site_order} creato ({state})",
    Kind.SITE_ORDER_PRESENT: "Ordine sito {site_order} già presente ({state}): nulla di nuovo da importare",
    Kind.AFN_INCOMPLETE: (
        "Ordine sito {site_order} creato come Incompleto da Logistica Amazon: Amazon non fornisce nome e "
        "indirizzo dell'acquirente; completalo con «Completa ordine» nella pagina Ordini Amazon o con il "
        "comando python -m amazon_passweb orders complete-afn, poi raggiungerà il gestionale"
    ),
    Kind.AFN_COMPLETED: (
        "Completato da {user} con i dati dell'acquirente: ordine sito {site_order} Registrato, raggiungerà il "
        "gestionale con il prossimo Sincro Ordini o la prossima sincronizzazione"
    ),
    Kind.AFN_PLACEHOLDER: (
        "Completato da {user} con il cliente segnaposto {customer}: ordine sito {site_order} Registrato, "
        "raggiungerà il gestionale con il prossimo Sincro Ordini o la prossima sincronizzazione"
    ),
    Kind.AFN_RELEASED: (
        "Attribuito al cliente segnaposto {customer} configurato per l'account: ordine sito {site_order} "
        "Registrato, raggiungerà il gestionale con questo import"
    ),
    Kind.CUSTOMER_BY_IDENTITY: (
        "Cliente riconosciuto da {basis}: Amazon non ha inviato un'email utilizzabile e l'ordine è attribuito "
        "al cliente esistente con gli stessi dati"
    ),
    Kind.CANCELLED_AFTER_IMPORT: (
        "Annullato su Amazon dopo l'importazione: le righe del documento saranno annullate nel gestionale al "
        "prossimo invio, se non è già stato spedito"
    ),
    Kind.CANCELLED_NOT_SENT: (
        "Annullato su Amazon prima dell'invio al gestionale: l'ordine non sarà inviato ed è ora Annullato"
    ),
    Kind.CANCELLED_ROWS_ANNULLED: (
        "Annullato su Amazon: le righe del documento {document} sono ora annullate nel gestionale (non "
        "cancellate) e l'ordine è Annullato"
    ),
    Kind.CANCELLED_AFTER_SHIPPING: (
        "Annullato su Amazon dopo la spedizione: gestire il reso. Il documento {document} è già evaso da "
        "{delivery}: nulla è stato cambiato nel gestionale"
    ),
    Kind.CANCEL_REQUESTED: (
        "L'acquirente ha chiesto di annullare l'ordine ({reason}): decidi in Seller Central; nel gestionale "
        "non cambia nulla finché Amazon non lo annulla"
    ),
    Kind.CANCEL_NOT_APPLIED: (
        "Annullato su Amazon, ma le righe del documento {document} non sono ancora annullate nel gestionale: "
        "il prossimo invio riprova, non serve fare altro"
    ),
    Kind.PUSHED: "Documento {document} memorizzato nel gestionale",
    Kind.PUSHED_SHORTENED: (
        "Documento {document} memorizzato nel gestionale; {count} campi accorciati o lasciati vuoti per "
        "stare nei limiti del gestionale: controllali nel documento"
    ),
    Kind.PUSH_REFUSED: (
        "Il gestionale ha rifiutato i dati dell'ordine: correggi nel sito o nel gestionale il dato indicato "
        f"nel dettaglio tecnico (colonna del CSV); {_NEXT_PUSH}"
    ),
    Kind.PUSH_UNAVAILABLE: f"Gestionale non raggiungibile o sovraccarico: {_NEXT_PUSH}, non serve fare altro",
    Kind.PUSH_OUTCOME_UNKNOWN: (
        "Esito dell'invio al gestionale sconosciuto (connessione interrotta): il prossimo invio controlla se il "
        "documento esiste già e non lo duplica; non serve fare altro"
    ),
    Kind.PUSH_UNCERTAIN: (
        "Esito incerto: il gestionale non ha risposto alla creazione {what} e subito dopo non risultava "
        "presente; il prossimo invio lo cerca prima di ricrearlo, quindi non sarà mai duplicato. L'ordine "
        "resta Registrato; se il gestionale non lo ha registrato, viene ricreato dopo le {until}. Non serve "
        "fare altro"
    ),
    Kind.PUSH_UNEXPECTED: (
        f"Risposta inattesa del gestionale: {_NEXT_PUSH}; se si ripete, segnala all'assistenza il dettaglio "
        "tecnico (colonna del CSV)"
    ),
    Kind.PUSH_MAPPING: (
        "L'ordine non può diventare un documento del gestionale così com'è (un dato manca o non è valido): "
        f"correggilo nel sito secondo il dettaglio tecnico (colonna del CSV); {_NEXT_PUSH}"
    ),
    Kind.PUSH_FAILED: f"Ordine non inviato al gestionale: {_NEXT_PUSH}; il dettaglio tecnico è nel CSV e nel log",
    Kind.GESTIONALE_CREDENTIALS: (
        "Il gestionale ha rifiutato utente o password della WebAPI: nessun ordine inviato. Correggili nella "
        "connessione del gestionale in Airflow prima di riprovare (ogni tentativo con credenziali errate "
        "può bloccare l'utente)"
    ),
    Kind.GESTIONALE_CONFIGURATION: (
        "Il gestionale ha rifiutato azienda, anno o magazzino configurati: nessun altro ordine inviato. "
        "Correggili nella connessione del gestionale in Airflow"
    ),
    Kind.GESTIONALE_UNAVAILABLE: (
        "Gestionale non raggiungibile o sovraccarico: gli ordini non inviati restano Registrato e li invia "
        "la prossima sincronizzazione"
    ),
    Kind.GESTIONALE_BUSY: (
        "Un altro invio al gestionale con lo stesso utente WebAPI era in corso: invio rimandato per non "
        "duplicare documenti o clienti; gli ordini restano Registrato e li invia la prossima esecuzione"
    ),
    Kind.GESTIONALE_ERROR: (
        "Il gestionale ha risposto in modo inatteso: gli ordini non inviati restano Registrato e li invia la "
        "prossima sincronizzazione; se si ripete, segnala all'assistenza il dettaglio nel log del task"
    ),
    Kind.PUSH_SUMMARY: "{pushed} ordini memorizzati nel gestionale, {failed} non inviati",
    Kind.SYNC_COMPLETED: (
        "Sincronizzazione {sync_type} completata: dal gestionale {articles} articoli, {customers} clienti e "
        "{table_rows} righe delle tabelle accessorie (esenzioni IVA, pagamenti, valute); {pushed} ordini inviati "
        "al gestionale, {failed} non inviati"
    ),
    Kind.SYNC_FIRST_TOTAL: "prima sincronizzazione del sito: eseguita come totale, con tutti gli articoli e i clienti",
    Kind.SYNC_IMPORTS_FAILED: "importazione Amazon non riuscita per: {accounts}",
    Kind.SYNC_BUSY: (
        "Sincronizzazione {sync_type} rifiutata: un'altra sincronizzazione variati o totale è ancora in corso "
        "e invia lei gli ordini; riprova quando è finita"
    ),
    Kind.SYNC_QUOTA_USED_UP: (
        "Sincronizzazione {sync_type} rifiutata: quota mensile esaurita ({used}/{quota} usate in {month}); "
        "gli ordini sono inviati al gestionale con una sincronizzazione parziale, non conteggiata"
    ),
    Kind.SYNC_INTERRUPTED: "Sincronizzazione {sync_type} interrotta. {reason}",
    Kind.SYNC_PARTIAL_INTERRUPTED: "Sincronizzazione parziale interrotta. {reason}",
    Kind.SYNC_ERROR: "Interrotta da un errore inatteso: il dettaglio è nel log del task",
    Kind.IMPORT_BEFORE_SYNC_FAILED: "esito: {outcome}; vedi l'esecuzione {run_id} di {dag_id} in Airflow",
    Kind.IMPORT_BEFORE_SYNC_PAUSED: (
        "il DAG {dag_id} è in pausa: importazione non eseguita. Riattivalo in Airflow; i suoi ordini arrivano "
        "con la prossima importazione"
    ),
    Kind.IMPORT_BEFORE_SYNC_LATE: (
        "non terminata entro {minutes} minuti: sincronizzazione eseguita senza attenderla. Vedi l'esecuzione "
        "{run_id} di {dag_id} in Airflow; i suoi ordini li invia il prossimo invio al gestionale"
    ),
    Kind.IMPORT_FETCH_FAILED: (
        "Lettura degli ordini da Amazon non riuscita: il dettaglio è nel log del task; la prossima "
        "importazione rilegge lo stesso periodo"
    ),
    Kind.IMPORT_FETCH_REFUSED: (
        "Amazon ha rifiutato la lettura degli ordini (marketplace dell'account: {marketplaces}): le credenziali "
        "dell'app non sono accettate, il venditore non l'ha autorizzata o non è registrato su uno di questi "
        "marketplace. Nessun nuovo tentativo automatico: correggi la connessione Amazon o i marketplace "
        "dell'account (python -m amazon_passweb doctor li prova uno per uno), poi rilancia l'importazione, che "
        "rilegge lo stesso periodo"
    ),
    Kind.IMPORT_FROM_NOTIFICATIONS: (
        "Esecuzione avviata dalle notifiche Amazon: {notifications} notifiche per {orders} ordini, {read} letti "
        "da Amazon, {missing} non letti (non più presenti o illeggibili: li rilegge la prossima importazione "
        "pianificata)"
    ),
    # the accounts page (ui), per account
    Kind.NOTIFICATIONS_OFF: "Notifiche Amazon: non attive",
    Kind.NOTIFICATIONS_ON: "Notifiche Amazon: attive · ultima ricevuta alle {received_at} ({total} in totale)",
    Kind.NOTIFICATIONS_WAITING: "Notifiche Amazon: attive · nessuna ricevuta finora",
    Kind.IMPORT_PUSH_FAILED: (
        "Invio al gestionale non riuscito: gli ordini creati nel sito restano Registrato e il prossimo invio "
        "al gestionale li riprende. Motivo:"
    ),
    Kind.IMPORT_PUSH_ERROR: "Interrotto da un errore inatteso: il dettaglio è nel log del task",
    Kind.IMPORT_ABANDONED: (
        "L'esecuzione {run_id} è terminata senza chiudere la sua importazione (processo interrotto): "
        "la successiva riprende gli ordini da dove era arrivata"
    ),
    Kind.SYNC_ABANDONED: (
        "La sincronizzazione {run_id} è terminata senza chiudersi (processo interrotto): non è conteggiata"
    ),
    Kind.SHIPMENT_CONFIRMED: "Spedizione {document} confermata ad Amazon ({carrier}, tracking {tracking})",
    Kind.SHIPMENT_WAITING_TRACKING: (
        "Documento {document}: manca il tracking ({missing}): spedizione non confermata ad Amazon. Completa "
        "vettore, numero di tracking e data inizio trasporto nel gestionale; la prossima importazione la conferma"
    ),
    Kind.SHIPMENT_REFUSED: (
        "Documento {document}: Amazon ha rifiutato la conferma di spedizione ({code}: {reason}). Correggi il "
        "documento nel gestionale (vettore, tracking, data, righe): viene riproposto quando i suoi dati cambiano"
    ),
    Kind.SHIPMENT_CANCELLED: (
        "Documento {document}: l'ordine è annullato su Amazon, spedizione non confermata. Verifica la merce "
        "spedita e l'ordine in Seller Central"
    ),
    Kind.SHIPMENT_UNMATCHED: (
        "Documento {document}: le sue righe non corrispondono agli articoli dell'ordine Amazon, spedizione "
        "non confermata. Verifica le righe evase nel gestionale; il dettaglio è nel log del task"
    ),
    Kind.SHIPMENT_RETRY: (
        "Documento {document}: conferma di spedizione ad Amazon non riuscita per un errore temporaneo; "
        "la prossima importazione la ritenta"
    ),
    Kind.SHIPMENTS_GESTIONALE_FAILED: (
        "Lettura dei documenti di spedizione dal gestionale non riuscita: nessuna spedizione confermata in "
        "questa esecuzione; la prossima importazione li rilegge"
    ),
    Kind.EMAIL_SENT: "invio {what} riuscito",
    Kind.EMAIL_NOT_SENT: "invio {what} non riuscito: {reason}",
}


# How a buyer without email was recognised (``site.normalise.identity_basis``), as CUSTOMER_BY_IDENTITY says it.
IDENTITY_BASIS = {"vat": "partita IVA", "company": "ragione sociale e CAP", "private": "nome e indirizzo"}


def parameters(kind: Kind) -> tuple[str, ...]:
    """The names a kind's text needs (the tests fill every one with hostile values)."""
    return tuple(name for _, name, _, _ in Formatter().parse(TEXTS[kind]) if name)


@dataclass(frozen=True)
class OperatorMessage:
    kind: Kind
    text: str  # Italian, for the operator
    detail: str | None = None  # the technical detail, for the log and the CSV

    def __str__(self) -> str:
        return self.text


def message(kind: Kind, *, detail: object = None, **values: object) -> OperatorMessage:
    """The kind's Italian text with ``values`` in it; missing or extra values are a programming error."""
    missing, extra = set(parameters(kind)) - values.keys(), values.keys() - set(parameters(kind))
    if missing or extra:
        raise TypeError(f"message {kind}: missing {sorted(missing)}, unexpected {sorted(extra)}")
    text = TEXTS[kind].format(**{name: clean_text(value, VALUE_LENGTH) or "—" for name, value in values.items()})
    return OperatorMessage(kind, text, clean_text(detail, DETAIL_LENGTH) or None)


def sync_label(sync_type: str) -> str:
    """The Italian name of a SyncType value: variati, totale or parziale."""
    return {"changed": "variati", "total": "totale", "partial": "parziale"}.get(str(sync_type), str(sync_type))


# Airflow task states (English in Airflow) as the sync email names an account's import.
_TASK_STATES = {
    None: "non eseguita",
    "failed": "non riuscita",
    "upstream_failed": "non eseguita, un passo precedente non è riuscito",
    "skipped": "saltata",
    "removed": "non eseguita",
    "up_for_retry": "non riuscita, in attesa di un nuovo tentativo",
    "running": "ancora in corso",
    "queued": "ancora in coda",
    "scheduled": "ancora in coda",
}


def import_outcome(task_state: str | None) -> str:
    """An account's import before the sync, as the sync email says how it ended."""
    return _TASK_STATES.get(task_state, f"non completata (stato Airflow {task_state})")

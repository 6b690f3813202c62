"""Command line for integrators and operators.

``python -m amazon_passweb doctor [--account ID] [--accounts-file F]``: the configuration against the gestionale.
``python -m amazon_passweb sku map ACCOUNT SKU ARTICLE [--shipping-standard CODE] [--shipping-express CODE]``
and ``sku list ACCOUNT``: Amazon SKUs → articles of the site (``*`` as ACCOUNT: every account).
``python -m amazon_passweb orders complete-afn ACCOUNT AMAZON_ORDER_ID --name N --line1 L --postal-code C
--city C --province P --country IT [--email E]`` (or ``--placeholder``): complete an order left
"Incompleto da Logistica Amazon"; it reaches the gestionale with the account's next import.
``python -m amazon_passweb notifications setup ACCOUNT --queue-arn ARN`` and ``notifications show ACCOUNT``:
Amazon's ORDER_CHANGE notifications for the account delivered to its SQS queue (docs/notifications.md).

Connections are Airflow's (``AIRFLOW_CONN_*`` variables or the metadata database), as for the DAGs.
"""

from __future__ import annotations

import argparse
import logging
import sys

from amazon_passweb.config import load_accounts


def doctor(args: argparse.Namespace) -> int:
    from amazon_passweb.doctor import run_doctor
    from amazon_passweb.gestionale.hook import GestionaleHook
    from amazon_passweb.gestionale.settings import DEFAULT_CONN_ID

    try:
        accounts_file = load_accounts(args.accounts_file)
    except Exception as error:  # the loader's message names the file, account and field
        print(f"PROBLEM configuration: {error}")
        return 1
    accounts = [accounts_file.account(args.account)] if args.account else list(accounts_file.accounts)
    conn_id = args.gestionale_conn_id or DEFAULT_CONN_ID
    # Short budgets: a preflight should answer in seconds, and never retry a refused login.
    findings = run_doctor(accounts, lambda: GestionaleHook(conn_id).get_client(retry_budget_s=10.0))
    for finding in findings:
        print(finding)
    problems = len(findings.problems)
    print(f"{problems} problem{'s' if problems != 1 else ''} found" if problems else "no problems found")
    return 1 if problems else 0


def _sku_context(args: argparse.Namespace):
    from amazon_passweb.site.unit_of_work import open_site_store

    return load_accounts(args.accounts_file), open_site_store()


def _describe(mapping) -> str:
    shipping = ", ".join(
        f"{label} {code}"
        for label, code in (
            ("standard", mapping.shipping_article_code),
            ("espressa", mapping.shipping_article_express_code),
        )
        if code
    )
    return f"{mapping.seller_sku} → {mapping.article_code}" + (
        f" (spesa di spedizione: {shipping})" if shipping else ""
    )


def sku_map(args: argparse.Namespace) -> int:
    from amazon_passweb.ui.sku_mappings import MappingRefused, SkuMappingInput, save_mapping

    accounts, store = _sku_context(args)
    try:
        mapping = save_mapping(
            store,
            accounts,
            SkuMappingInput(args.account, args.sku, args.article, args.shipping_standard, args.shipping_express),
        )
    except MappingRefused as refused:
        print(f"Non salvato: {refused}", file=sys.stderr)
        return 1
    finally:
        store.dispose()
    print(f"Salvato per {mapping.account}: {_describe(mapping)}")
    return 0


def sku_list(args: argparse.Namespace) -> int:
    from amazon_passweb.ui.sku_mappings import MappingRefused, list_mappings

    accounts, store = _sku_context(args)
    try:
        mappings = list_mappings(store, accounts, args.account)
    except MappingRefused as refused:
        print(refused, file=sys.stderr)
        return 1
    finally:
        store.dispose()
    for mapping in mappings:
        print(_describe(mapping))
    print(f"{len(mappings)} SKU associati per {args.account}")
    return 0


def orders_complete_afn(args: argparse.Namespace) -> int:
    from amazon_passweb.ui.afn_orders import BuyerData, CompletionRefused, complete_afn_order

    typed = [args.name, args.line1, args.postal_code, args.city, args.province, args.country, args.email]
    if args.placeholder and any(typed):
        print("Non completato: con --placeholder non si indicano i dati dell'acquirente.", file=sys.stderr)
        return 1
    buyer = None if args.placeholder else BuyerData(args.name, args.line1, args.postal_code, args.city,
                                                    args.province, args.country, args.email)
    accounts, store = _sku_context(args)
    try:
        done = complete_afn_order(store, accounts, args.account, args.amazon_order_id, buyer,
                                  user="riga di comando")
    except CompletionRefused as refused:
        print(f"Non completato: {refused}", file=sys.stderr)
        return 1
    finally:
        store.dispose()
    customer = (f"cliente segnaposto {done.placeholder}" if done.placeholder
                else "nuovo cliente" if done.customer_new else "cliente già presente")
    print(f"Completato: ordine sito {done.site_order} di {done.account} ({done.amazon_order_id}) Registrato "
          f"con {customer}; raggiungerà il gestionale con il prossimo import o Sincro Ordini dell'account.")
    return 0


def _notifications_client(args: argparse.Namespace):
    """The account's Notifications API client, or None after saying why it cannot be built."""
    from amazon_passweb.amazon.hook import SpApiHook

    try:
        account = load_accounts(args.accounts_file).account(args.account)
    except Exception as error:  # the loader's message names the file, account and field
        print(f"PROBLEM configuration: {error}", file=sys.stderr)
        return None
    try:
        return SpApiHook.notifications_client_for_account(account)
    except Exception as error:  # a missing or incomplete connection; its messages quote no secret
        print(f"PROBLEM connection {account.sp_api_conn_id!r}: {error}", file=sys.stderr)
        return None


def _amazon_refused(error, account: str) -> str:
    from amazon_passweb.amazon.errors import AuthenticationError
    from amazon_passweb.amazon.lwa import GRANTLESS_OPERATION

    if isinstance(error, AuthenticationError):
        what = ("the grantless login (client id and secret, for the Notifications API's destinations)"
                if error.operation == GRANTLESS_OPERATION else "the seller's login (client id, secret, refresh token)")
        return (f"NOT DONE: Login with Amazon refused {what} of account {account}: {error.code} "
                f"{error.amazon_message}. Check the account's Amazon connection.")
    return f"NOT DONE: Amazon refused the call for account {account}: {error}"


def _destination_words(destination) -> str:
    if destination is None:
        return "a destination this application does not list"
    where = f"queue {destination.queue_arn}" if destination.queue_arn else "not an SQS queue"
    return f"destination {destination.destination_id} ({where})"


def notifications_setup(args: argparse.Namespace) -> int:
    from amazon_passweb.amazon.errors import SpApiError
    from amazon_passweb.amazon.notifications import InvalidQueueArn, parse_queue_arn

    try:
        arn = parse_queue_arn(args.queue_arn).arn
    except InvalidQueueArn as error:
        print(f"NOT DONE: {error}", file=sys.stderr)
        return 1
    client = _notifications_client(args)
    if client is None:
        return 1
    with client:
        try:
            result = client.setup(arn, name=f"amazon_passweb {args.account}")
        except SpApiError as error:
            print(_amazon_refused(error, args.account), file=sys.stderr)
            return 1
    if result.conflict:
        print(f"NOT DONE: the seller's ORDER_CHANGE subscription {result.subscription.subscription_id} of account "
              f"{args.account} already delivers to {_destination_words(result.existing_destination)}, not to "
              f"{arn}. Nothing was created or changed. If that queue is no longer used, delete the subscription "
              "(Notifications API deleteSubscriptionById) and run this command again; otherwise configure "
              "that queue for the account.", file=sys.stderr)
        return 1
    destination, subscription = result.destination, result.subscription
    print(f"Destination {destination.destination_id} for queue {arn}: "
          + ("created." if result.destination_created else "already there, reused."))
    print(f"ORDER_CHANGE subscription {subscription.subscription_id} (payload {subscription.payload_version}): "
          + ("created." if result.subscription_created else "already there, reused."))
    print(f"Set up: Amazon sends the ORDER_CHANGE notifications of account {args.account} to {arn}.")
    return 0


def notifications_show(args: argparse.Namespace) -> int:
    from amazon_passweb.amazon.errors import SpApiError

    client = _notifications_client(args)
    if client is None:
        return 1
    with client:
        try:
            state = client.describe()
        except SpApiError as error:
            print(_amazon_refused(error, args.account), file=sys.stderr)
            return 1
    subscription = state.subscription
    if subscription is None:
        print(f"Account {args.account}: no ORDER_CHANGE subscription; run "
              f"`python -m amazon_passweb notifications setup {args.account} --queue-arn ARN`.")
    else:
        print(f"Account {args.account}: ORDER_CHANGE subscription {subscription.subscription_id} (payload "
              f"{subscription.payload_version}) delivers to {_destination_words(state.subscribed_destination)}.")
    print(f"Destinations of the application: {len(state.destinations)}")
    for destination in state.destinations:
        print(f"  {destination.destination_id}  {destination.name!r}  {destination.queue_arn or 'not SQS'}")
    ready = state.subscribed_destination is not None and state.subscribed_destination.queue_arn is not None
    return 0 if ready else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m amazon_passweb")
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("doctor", help="check the configuration against the gestionale and Amazon")
    check.add_argument("--account", help="only this account (default: every account)")
    check.add_argument("--accounts-file", help="default: $AMAZON_ACCOUNTS_FILE or the example file")
    check.add_argument("--gestionale-conn-id", help="default: gestionale_webapi")
    check.set_defaults(run=doctor)
    skus = commands.add_parser("sku", help="Amazon SKUs mapped to articles of the site").add_subparsers(
        dest="sku_command", required=True
    )
    mapping = skus.add_parser("map", help="map an Amazon SKU to an article, optionally with its spesa articles")
    mapping.add_argument("account", help="account id, or * for every account")
    mapping.add_argument("sku", help="the Amazon SellerSKU")
    mapping.add_argument("article", help="the article code (as copied from the gestionale)")
    mapping.add_argument("--shipping-standard", help="the SKU's own spesa article for standard shipping")
    mapping.add_argument("--shipping-express", help="the SKU's own spesa article for express shipping")
    mapping.set_defaults(run=sku_map)
    listing = skus.add_parser("list", help="the account's SKU mappings")
    listing.add_argument("account", help="account id, or * for the mappings of every account")
    listing.set_defaults(run=sku_list)
    orders = commands.add_parser("orders", help="site orders").add_subparsers(dest="orders_command", required=True)
    complete = orders.add_parser(
        "complete-afn", help="complete an order left Incompleto da Logistica Amazon (buyer data or placeholder)")
    complete.add_argument("account", help="account id")
    complete.add_argument("amazon_order_id", help="the Amazon order id")
    for option, text in (("--name", "buyer's name (or company)"), ("--line1", "street and number"),
                         ("--postal-code", "postal code"), ("--city", "city"),
                         ("--province", "province (two-letter sigla in Italy)"),
                         ("--country", "ISO country code, e.g. IT"), ("--email", "buyer's email (optional)")):
        complete.add_argument(option, help=text)
    complete.add_argument("--placeholder", action="store_true",
                          help="attach the order to the account's afn_placeholder_customer instead")
    complete.set_defaults(run=orders_complete_afn)
    notifications = commands.add_parser(
        "notifications", help="Amazon's ORDER_CHANGE notifications to the account's SQS queue"
    ).add_subparsers(dest="notifications_command", required=True)
    setup = notifications.add_parser(
        "setup", help="create what is missing: the queue's destination and the ORDER_CHANGE subscription")
    setup.add_argument("account", help="account id")
    setup.add_argument("--queue-arn", required=True, help="the account's queue, arn:aws:sqs:REGION:ACCOUNT:NAME")
    setup.set_defaults(run=notifications_setup)
    show = notifications.add_parser("show", help="the account's subscription and the application's destinations")
    show.add_argument("account", help="account id")
    show.set_defaults(run=notifications_show)
    for command in (mapping, listing, complete, setup, show):
        command.add_argument("--accounts-file", help="default: $AMAZON_ACCOUNTS_FILE or the example file")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())

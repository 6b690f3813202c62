"""Entering SKU mappings: an Amazon SellerSKU → an article of the site, optionally with the SKU's own
spesa articles for standard and express shipping. Shared by the operator page and the command line.

Every code is checked against the articles the sync copied from the gestionale, so a mapping can
never name an article the import would then fail on; the refusal says which code and why, in Italian.
"""

from __future__ import annotations

from dataclasses import dataclass

from amazon_passweb.config import AccountsFile
from amazon_passweb.site.articles import ALL_ACCOUNTS
from amazon_passweb.site.records import SkuMappingRecord
from amazon_passweb.site.unit_of_work import SiteStore

SKU_LENGTH = 64  # the column's length; Amazon's SellerSKU is at most 40 characters
CODE_LENGTH = 32


class MappingRefused(ValueError):
    """The mapping was not saved; the message says why, for the operator."""


@dataclass(frozen=True)
class SkuMappingInput:
    account: str
    seller_sku: str
    article_code: str
    shipping_standard: str | None = None
    shipping_express: str | None = None


def _clean(value: str | None) -> str | None:
    return (value or "").strip() or None


def save_mapping(store: SiteStore, accounts: AccountsFile, wanted: SkuMappingInput) -> SkuMappingRecord:
    account = check_account(accounts, wanted.account)
    sku, article = _clean(wanted.seller_sku), _clean(wanted.article_code)
    if not sku:
        raise MappingRefused("Indica lo SKU Amazon (SellerSKU).")
    if len(sku) > SKU_LENGTH:
        raise MappingRefused(f"Lo SKU Amazon è lungo {len(sku)} caratteri: al massimo {SKU_LENGTH}.")
    if not article:
        raise MappingRefused(f"Indica l'articolo del gestionale per lo SKU «{sku}».")
    standard, express = _clean(wanted.shipping_standard), _clean(wanted.shipping_express)
    with store.unit_of_work() as uow:
        found = uow.articles.get(article)
        if found is None:
            raise MappingRefused(_unknown(article, "L'articolo"))
        if found.is_spesa:
            raise MappingRefused(f"L'articolo «{article}» è un articolo di spesa: indica l'articolo venduto.")
        for code, level in ((standard, "standard"), (express, "espressa")):
            if code is None:
                continue
            spesa = uow.articles.get(code)
            if spesa is None:
                raise MappingRefused(_unknown(code, f"L'articolo di spesa per la spedizione {level}"))
            if not spesa.is_spesa:
                raise MappingRefused(
                    f"L'articolo «{code}» indicato per la spedizione {level} non è un articolo di spesa nel gestionale."
                )
        uow.articles.map_sku(
            account, sku, article, shipping_article_code=standard, shipping_article_express_code=express
        )
    return SkuMappingRecord(account, sku, article, standard, express)


def list_mappings(store: SiteStore, accounts: AccountsFile, account: str) -> list[SkuMappingRecord]:
    with store.unit_of_work(read_only=True) as uow:
        return uow.articles.sku_mappings(check_account(accounts, account))


def check_account(accounts: AccountsFile, account: str) -> str:
    account = (account or "").strip()
    if account == ALL_ACCOUNTS or account in {a.id for a in accounts.accounts}:
        return account
    known = ", ".join(a.id for a in accounts.accounts)
    raise MappingRefused(
        f"L'account «{account[:40]}» non è nel file degli account (account: {known}; "
        f"«{ALL_ACCOUNTS}» per tutti gli account)."
    )


def _unknown(code: str, what: str) -> str:
    return (
        f"{what} «{code[:CODE_LENGTH]}» non è tra gli articoli del sito: controlla il codice nel gestionale "
        "e, se è nuovo, esegui una sincronizzazione perché arrivi nel sito."
    )

"""The FastAPI app of the operator pages, mounted by the Airflow plugin under ``/amazon``.

Pages are rendered on the server (Jinja2, autoescaped: every value from Amazon
is escaped); a small script polls a card while its import runs and posts the
operator's actions as JSON. Every route, static files included, requires an
authenticated Airflow user (``auth.py``); every account's data is shown to, and changed by,
only the users Airflow allows on the account's DAG (``access.py``). Imported only by the API server, on
the first request (``plugin.LazyApp``).
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

from airflow.api_fastapi.auth.managers.models.base_user import BaseUser
from airflow.api_fastapi.core_api.security import get_user
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from amazon_passweb.notify.formatting import format_money, format_when
from amazon_passweb.ui import MOUNT_PREFIX, access, actions, afn_orders, formatting, queries, sku_mappings, views
from amazon_passweb.ui.auth import login_url, require_same_origin, wants_html
from amazon_passweb.ui.refusals import Refused
from amazon_passweb.ui.services import UiServices

HERE = Path(__file__).resolve().parent
STATIC_FILES = {"ui.css": "text/css", "ui.js": "text/javascript"}
# Airflow's own dependency: the JWT from the Authorization header or the session cookie.
User = Annotated[BaseUser, Depends(get_user)]
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class WatermarkRequest(BaseModel):
    value_local: str = Field(description="the new value, YYYY-MM-DDTHH:MM in Italian time")
    expected: str | None = Field(None, description="the value the operator saw, ISO 8601, null if none")
    confirm: bool = False


class RetryRequest(BaseModel):
    account: str
    amazon_order_id: str


def _templates() -> Environment:
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True, trim_blocks=True,
                      lstrip_blocks=True)
    env.filters.update(local_time=format_when, money=format_money, schedule=formatting.schedule,
                       marketplace=formatting.marketplace, input_value=formatting.input_value, day=formatting.day,
                       duration=formatting.duration, pager=formatting.pager)
    env.globals["state_filters"] = queries.STATE_FILTERS
    return env


def _parse_moment(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise Refused(422, f"Data non valida: {text!r}.") from None


def _parse_local(text: str) -> datetime:
    """gg/mm/aaaa hh:mm in Italian time, as the watermark dialog sends it."""
    try:
        return formatting.parse_local_moment(text)
    except ValueError:
        raise Refused(422, "Indica data e ora nel formato gg/mm/aaaa hh:mm.") from None


def _optional_date(text: str | None, label: str, errors: list[str]) -> date | None:
    """A filter's day; a wrong one is named on the page and the filter left out."""
    if not text or not text.strip():
        return None
    try:
        return formatting.parse_day(text)
    except ValueError:
        errors.append(f"{label}: «{text[:40]}» non è una data valida, scrivila come gg/mm/aaaa (es. 05/10/2026).")
        return None


def _run_json(run: Any) -> dict:
    return {"dag_id": run.dag_id, "run_id": run.run_id, "state": run.state}


def create_app(services: UiServices | None = None) -> FastAPI:
    services = services or UiServices()
    templates = _templates()
    # The dependency on the router, not only on the handlers, so no route can be added without it.
    router = APIRouter(dependencies=[Depends(get_user)])
    changes = APIRouter(dependencies=[Depends(get_user), Depends(require_same_origin)])

    def render(request: Request, template: str, **context: Any) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        html = templates.get_template(template).render(
            base=root, airflow_base=root.removesuffix(MOUNT_PREFIX), **context)
        return HTMLResponse(html, headers=SECURITY_HEADERS)

    @router.get("/", include_in_schema=False)
    def home(request: Request) -> RedirectResponse:
        return RedirectResponse(f"{request.scope.get('root_path', '')}/accounts", status_code=303)

    @router.get("/static/{name}")
    def static(name: str) -> FileResponse:
        if name not in STATIC_FILES:
            raise HTTPException(404, "not found")
        return FileResponse(HERE / "static" / name, media_type=STATIC_FILES[name],
                            headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"})

    @router.get("/accounts", response_class=HTMLResponse)
    def accounts_page(request: Request, user: User) -> HTMLResponse:
        now = services.now()
        accounts = [views.account_view(services, account, user) for account in access.readable_accounts(services, user)]
        return render(request, "accounts.html", page="accounts", user=user.get_name(), accounts=accounts,
                      quota=views.sync_quota(services, now), now=now)

    @router.get("/accounts/{account_id}/card", response_class=HTMLResponse)
    def account_card(request: Request, account_id: str, user: User) -> HTMLResponse:
        account = access.account_for(services, user, account_id)
        return render(request, "_account_card.html", view=views.account_view(services, account, user))

    @router.get("/orders", response_class=HTMLResponse)
    def orders_page(
        request: Request,
        user: User,
        account: str | None = None,
        state: str | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
        amazon_order_id: str | None = None,
        page: Annotated[int, Query(ge=1)] = 1,
    ) -> HTMLResponse:
        return orders_view(request, user, account=account, state=state, date_from=date_from, date_to=date_to,
                           amazon_order_id=amazon_order_id, page=page)

    def orders_view(request: Request, user: Any, *, account: str | None = None, state: str | None = None,
                    date_from: str | None = None, date_to: str | None = None, amazon_order_id: str | None = None,
                    page: int = 1, notice: str | None = None, error: str | None = None,
                    form: dict | None = None, status: int = 200) -> HTMLResponse:
        visible = access.readable_accounts(services, user)
        date_errors: list[str] = []
        flt = queries.OrderFilter(
            account=_named_account(user, account),
            state=state if state in queries.STATE_FILTERS else None,
            date_from=_optional_date(date_from, "Dal", date_errors),
            date_to=_optional_date(date_to, "Al", date_errors),
            amazon_order_id=(amazon_order_id or "").strip() or None,
            page=page,
            visible_accounts=frozenset(a.id for a in visible),
        )
        with services.store().unit_of_work(read_only=True) as uow:
            result = queries.list_orders(uow.session, flt)
        completable = {a.id: a.afn_placeholder_customer for a in visible if services.airflow.may_edit(user, a.dag_id)}
        response = render(request, "orders.html", page="orders", user=user.get_name(), accounts=visible,
                          flt=flt, result=result, query=request.query_params, date_errors=date_errors,
                          day_pattern=formatting.DAY_PATTERN, completable=completable, notice=notice,
                          error=error, form=form or {}, afn_fields=afn_orders.FIELDS)
        response.status_code = status
        return response

    def _named_account(user: Any, account: str | None) -> str | None:
        """The account a list is filtered by: one the user may not read is refused (403); one not in the
        file, told only to a user who sees every account, is left out of the filter as before."""
        if not account:
            return None
        try:
            return access.account_for(services, user, account).id
        except access.UnknownAccount:
            return None

    @changes.post("/orders/complete-afn", response_class=HTMLResponse)
    async def complete_afn(request: Request, user: User) -> HTMLResponse:
        """«Completa ordine»: the buyer's data, or the account's placeholder customer."""
        form = {key: str(value) for key, value in (await request.form()).items()}
        account_id, order_id = form.get("account", "").strip(), form.get("amazon_order_id", "")
        shown = {"account": account_id, "amazon_order_id": order_id}  # the page comes back on that order
        try:
            account = access.account_for(services, user, account_id, change=True)
        except access.UnknownAccount:
            try:
                afn_orders.incomplete_account(services.accounts(), account_id)
            except afn_orders.CompletionRefused as refused:
                return orders_view(request, user, error=f"Non completato: {refused}", form=form, status=422,
                                   amazon_order_id=order_id)
            raise
        buyer = None if form.get("placeholder") else afn_orders.BuyerData(
            *(form.get(name) for name, _ in afn_orders.FIELDS), form.get("email"))
        try:
            done = afn_orders.complete_afn_order(services.store(), services.accounts(), account.id, order_id, buyer,
                                                 user=actions.user_name(user))
        except afn_orders.CompletionRefused as refused:
            return orders_view(request, user, error=f"Non completato: {refused}", form=form, status=422, **shown)
        whom = f"il cliente segnaposto {done.placeholder}" if done.placeholder else "i dati dell'acquirente"
        return orders_view(request, user, notice=f"Completato: ordine sito {done.site_order} ({done.amazon_order_id}) "
                           f"Registrato con {whom}; raggiungerà il gestionale con il prossimo Sincro Ordini "
                           "o la prossima sincronizzazione.", **shown)

    def sku_page(request: Request, user: User, account: str | None, *, form: dict | None = None,
                 message: str | None = None, error: str | None = None, status: int = 200) -> HTMLResponse:
        """The mappings of one account the user may read, or of ``*`` (the first account if none is named
        or the one named is not in the file); no account at all for a user who may read none."""
        choices = [(a.id, f"{a.id} – {a.description}") for a in access.readable_accounts(services, user)]
        if choices:
            choices.append((sku_mappings.ALL_ACCOUNTS, "Tutti gli account (*)"))
        shown = None
        if account:
            try:
                shown = access.mappings_account(services, user, account)
            except access.UnknownAccount:
                shown = None
        shown = shown or (choices[0][0] if choices else None)
        mappings = sku_mappings.list_mappings(services.store(), services.accounts(), shown) if shown else []
        response = render(request, "sku.html", page="sku", user=user.get_name(), account=shown,
                          account_choices=choices, mappings=mappings, form=form or {}, message=message, error=error,
                          may_edit=shown is not None and _may_edit_mappings(user, shown))
        response.status_code = status
        return response

    def _may_edit_mappings(user: Any, account: str) -> bool:
        """The right to read and edit the account's DAG (every account's, for a mapping of every account)."""
        try:
            access.mappings_account(services, user, account, change=True)
        except Refused:
            return False
        return True

    @router.get("/sku", response_class=HTMLResponse)
    def sku_list(request: Request, user: User, account: str | None = None) -> HTMLResponse:
        return sku_page(request, user, account)

    @changes.post("/sku", response_class=HTMLResponse)
    async def sku_save(request: Request, user: User) -> HTMLResponse:
        form = {key: str(value) for key, value in (await request.form()).items()}
        try:
            account = access.mappings_account(services, user, form.get("account", ""), change=True)
        except access.UnknownAccount:
            try:
                sku_mappings.check_account(services.accounts(), form.get("account", ""))
            except sku_mappings.MappingRefused as refused:
                return sku_page(request, user, None, form=form, error=f"Non salvato: {refused}", status=422)
            raise
        wanted = sku_mappings.SkuMappingInput(account, form.get("seller_sku", ""), form.get("article_code", ""),
                                              form.get("shipping_standard"), form.get("shipping_express"))
        try:
            saved = sku_mappings.save_mapping(services.store(), services.accounts(), wanted)
        except sku_mappings.MappingRefused as refused:
            return sku_page(request, user, account, form=form, error=f"Non salvato: {refused}", status=422)
        return sku_page(request, user, account,
                        message=f"Salvato: {saved.seller_sku} → {saved.article_code} per {saved.account}.")

    @changes.post("/accounts/{account_id}/sync")
    def sincro_ordini(account_id: str, user: User) -> JSONResponse:
        run = actions.sincro_ordini(services, account_id, user)
        return JSONResponse({"message": f"Sincro Ordini avviato: run {run.run_id} in coda.", "run": _run_json(run)},
                            status_code=201)

    @changes.post("/accounts/{account_id}/watermark")
    def change_watermark(account_id: str, body: WatermarkRequest, user: User) -> JSONResponse:
        change = actions.change_watermark(
            services, account_id, user, new=_parse_local(body.value_local), expected=_parse_moment(body.expected),
            confirm=body.confirm)
        message = ("Data Ultima Sincronizzazione Ordini aggiornata: " if change.applied else "") + change.explanation
        return JSONResponse({"applied": change.applied, "message": message,
                             "current": change.current.isoformat() if change.current else None,
                             "new": change.new.isoformat()})

    @changes.post("/orders/retry")
    def retry(body: RetryRequest, user: User) -> JSONResponse:
        run = actions.retry_order(services, body.account, body.amazon_order_id, user)
        return JSONResponse({"message": f"Riprova avviata: Sincro Ordini di {body.account} (run {run.run_id}) "
                                        "ritenta tutti gli ordini in errore dell'account.", "run": _run_json(run)},
                            status_code=201)

    app = FastAPI(title="Amazon operator pages", docs_url=None, redoc_url=None, openapi_url=None)
    app.include_router(router)
    app.include_router(changes)

    @app.exception_handler(Refused)
    async def refused(request: Request, error: Refused) -> Response:
        if "text/html" in request.headers.get("accept", ""):  # a page or a form opened by the browser
            response = render(request, "refused.html", page=None, user="", message=error.message)
            response.status_code = error.status
            return response
        return JSONResponse({"detail": error.message}, status_code=error.status)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        if error.status_code in (401, 403) and wants_html(request):
            return RedirectResponse(login_url(request), status_code=303)
        return JSONResponse({"detail": error.detail}, status_code=error.status_code, headers=error.headers)

    return app

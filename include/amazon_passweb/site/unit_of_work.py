"""The entry point of the store: ``SiteStore`` opens units of work, each one a
database transaction with every repository bound to it.

    store = open_site_store()
    with store.unit_of_work() as uow:        # commits on success, rolls back on error
        match = uow.customers.get_or_create(customer, address)
        ...
        uow.orders.create(order)

The importer writes a batch of orders per unit of work with the batch forms
(``upsert_many``, ``get_or_create_many``, ``create_many``, ``mark_many``…),
after checking each order on its own: one order's failure is recorded on that
order and never undoes the others.
"""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from .articles import ArticleRepository, GestionaleCopyRepository
from .cancellations import CancellationRepository
from .crypto import PiiCipher, configured_pii_key, resolve_pii_key
from .customers import CustomerRepository
from .db import READ_ONLY_OPTION, connection_extra, make_engine, migrate, site_database_url
from .errors import StoreError
from .inbox import InboxRepository
from .key_check import check_key, guard_writes
from .leases import LeaseRepository
from .notifications import NotificationRepository
from .orders import OrderRepository
from .runs import AccountStateRepository, ImportRunRepository, SyncRunRepository
from .shipments import ShipmentRepository


class UnitOfWork:
    customers: CustomerRepository
    orders: OrderRepository
    inbox: InboxRepository
    articles: ArticleRepository
    gestionale_copy: GestionaleCopyRepository
    accounts: AccountStateRepository
    imports: ImportRunRepository
    syncs: SyncRunRepository
    cancellations: CancellationRepository
    shipments: ShipmentRepository
    leases: LeaseRepository
    notifications: NotificationRepository

    def __init__(self, session_factory: sessionmaker[Session], cipher: PiiCipher, *, read_only: bool = False) -> None:
        self._session_factory = session_factory
        self._cipher = cipher
        self._read_only = read_only
        self.session: Session | None = None

    def __enter__(self) -> UnitOfWork:
        session = self._session_factory()
        session.begin()
        try:
            self._guard(session)
        except BaseException:
            session.rollback()
            session.close()
            raise
        self.session = session
        self.customers = CustomerRepository(session, self._cipher)
        self.orders = OrderRepository(session)
        self.inbox = InboxRepository(session, self._cipher)
        self.articles = ArticleRepository(session)
        self.gestionale_copy = GestionaleCopyRepository(session, self._cipher)
        self.accounts = AccountStateRepository(session)
        self.imports = ImportRunRepository(session)
        self.syncs = SyncRunRepository(session)
        self.cancellations = CancellationRepository(session)
        self.shipments = ShipmentRepository(session)
        self.leases = LeaseRepository(session)
        self.notifications = NotificationRepository(session)
        return self

    def _guard(self, session: Session) -> None:
        """Writes only with the database's own key: a rotation may have committed since the store opened."""
        if not self._read_only:
            guard_writes(session.connection(), self._cipher)

    @property
    def active_session(self) -> Session:
        """The open session; an explicit check rather than an ``assert``, which ``python -O`` drops."""
        if self.session is None:
            raise StoreError("unit of work used outside its with block")
        return self.session

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        session = self.active_session
        try:
            if exc_type is None:
                session.commit()
            else:
                session.rollback()
        finally:
            session.close()
            self.session = None

    def commit(self) -> None:
        """Commit now and start a new transaction in the same unit of work."""
        session = self.active_session
        session.commit()
        session.begin()
        self._guard(session)

    def rollback(self) -> None:
        session = self.active_session
        session.rollback()
        session.begin()
        self._guard(session)


class SiteStore:
    """The site database plus the key that protects its personal data. :func:`open_site_store` is the
    way in: it checks that the key is the database's own and records it on a new database
    (``key_check.py``). Every writing unit of work checks it again (a rotation may have committed
    since); a database that records no key yet (a store built directly, as tests do) is not refused."""

    def __init__(self, engine: Engine, cipher: PiiCipher) -> None:
        self.engine = engine
        self.cipher = cipher
        self._session_factory = sessionmaker(engine, expire_on_commit=False, autobegin=False)
        self._read_session_factory = sessionmaker(
            engine.execution_options(**{READ_ONLY_OPTION: True}), expire_on_commit=False, autobegin=False
        )

    def unit_of_work(self, *, read_only: bool = False) -> UnitOfWork:
        """A transaction over every repository. ``read_only`` is a promise not to
        write: on SQLite it begins without taking the write lock, so reports and
        the UI never wait behind a running import."""
        if read_only:
            return UnitOfWork(self._read_session_factory, self.cipher, read_only=True)
        return UnitOfWork(self._session_factory, self.cipher)

    def dispose(self) -> None:
        self.engine.dispose()


def open_site_store(
    url: str | None = None, *, pii_key: str | None = None, upgrade: bool = False
) -> SiteStore:
    """Open the store at ``url`` (default: :func:`site_database_url`).

    The key defaults to ``SITE_PII_KEY`` / the connection's ``pii_key``; nothing configured is an
    error. ``demo`` (as the key) asks for the public demo key, which only a SQLite database accepts.
    The key must be the one the database records (its fingerprint); a database without one records
    it (``key_check.check_key``). ``upgrade`` runs the migrations first (the demo does; production
    runs them as a deployment step).
    """
    url = url or site_database_url()
    is_sqlite = make_url(url).get_backend_name() == "sqlite"
    cipher = PiiCipher(resolve_pii_key(pii_key if pii_key is not None else configured_pii_key(connection_extra()),
                                       sqlite=is_sqlite))
    engine = make_engine(url)
    try:
        if upgrade:
            migrate(engine)
        check_key(engine, cipher)
    except BaseException:
        engine.dispose()
        raise
    return SiteStore(engine, cipher)

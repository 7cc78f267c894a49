"""Connecting to the acceptance store: SQLite (a file, WAL) by default, PostgreSQL by URL.

:class:`Database` owns the SQLAlchemy engine. Reads use ordinary transactions; writers that
must be serialised (the ledger) use :meth:`Database.write`, which starts ``BEGIN IMMEDIATE`` on
SQLite so two processes never interleave, and leaves PostgreSQL's locking to the caller
(a row lock on the chain head). A wrong URL or an unreachable server is a one-line
:class:`StoreError`, never a traceback.
"""

from __future__ import annotations

import fcntl
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import Connection, Engine, Select, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from publisher.config import Settings
from publisher.errors import PublisherError
from publisher.workdir import make_folder

SQLITE_BUSY_TIMEOUT_S = 30.0
"""How long a SQLite writer waits for another process's write transaction before failing."""

DIALECTS = ("sqlite", "postgresql")

PUBLISHER_FOLDER = ".publisher"
"""publisher's own folder in the repository: a new store's folder is created only in there."""


class StoreError(PublisherError):
    """The database cannot be opened, is at the wrong schema revision, or refused a write."""


def redact(url: URL) -> str:
    """The URL as text with any password hidden (for messages)."""
    return url.render_as_string(hide_password=True)


def parse_url(raw: str, *, root: Path) -> URL:
    """Parse a database URL; relative SQLite paths are taken from the repository ``root``.

    ``postgresql://`` (no driver) means psycopg 3, the driver we ship with.
    """
    try:
        url = make_url(raw)
    except ArgumentError as exc:
        raise StoreError(
            f"invalid database URL {raw!r}",
            hint="use sqlite:///path/to/file.db or postgresql+psycopg://user@host/dbname "
            "(setting database_url, env PUBLISHER_DATABASE_URL)",
        ) from exc
    backend = url.get_backend_name()
    if backend not in DIALECTS:
        raise StoreError(
            f"unsupported database {backend!r} in {redact(url)}",
            hint="use sqlite:///… or postgresql+psycopg://…",
        )
    if backend == "postgresql" and "+" not in url.drivername:
        url = url.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        database = url.database or ""
        if database in ("", ":memory:") or database.startswith("file:"):
            raise StoreError(
                f"the acceptance store needs a SQLite file, not {database or 'memory'!r}",
                hint="use sqlite:///.publisher/publisher.db or another file path",
            )
        path = Path(database)
        if not path.is_absolute():
            path = root / path
        url = url.set(database=str(path))
    return url


def _prepare_sqlite_file(path: Path, *, root: Path, create: bool) -> None:
    """Check (and for a new store, prepare) the place of a SQLite file before connecting.

    Reading needs the file. Creating needs its folder, which is made only when it lies in
    publisher's own ``<root>/.publisher/`` folder: elsewhere a missing folder is a typo.
    """
    if path.exists():
        return
    if not create:
        raise StoreError(
            f"no database at {path}",
            hint="run `publisher db upgrade` to create it, or check the setting database_url "
            "(env PUBLISHER_DATABASE_URL, flag --database-url)",
        )
    if path.parent.is_dir():
        return
    if not path.resolve().is_relative_to((root / PUBLISHER_FOLDER).resolve()):
        raise StoreError(
            f"cannot create {path}: the folder {path.parent} does not exist",
            hint="create the folder first, or check the setting database_url "
            "(env PUBLISHER_DATABASE_URL, flag --database-url)",
        )
    try:
        make_folder(path.parent)  # .publisher/, with its .gitignore
    except OSError as exc:
        raise StoreError(f"cannot create the folder for {path}: {exc.strerror}", path=path) from exc


def _sqlite_engine(url: URL) -> Engine:
    engine = create_engine(
        url,
        connect_args={
            "timeout": SQLITE_BUSY_TIMEOUT_S,
            "isolation_level": None,  # we issue BEGIN ourselves (see _begin)
            "check_same_thread": False,
        },
        pool_size=20,
        max_overflow=20,
    )

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get("immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _postgresql_engine(url: URL) -> Engine:
    return create_engine(url, pool_size=20, max_overflow=20, pool_pre_ping=True)


def _autocommit_engine(url: URL) -> Engine:
    """PostgreSQL connections for single statements that are their own transaction: no ping
    before each checkout and no rollback after (each a round trip), and a plan made for each
    call's values (``plan_cache_mode``): the generic plan PostgreSQL switches a prepared
    statement to after five calls joins the ledger's checks by scanning whole tables."""
    engine = create_engine(
        url,
        pool_size=20,
        max_overflow=20,
        pool_pre_ping=False,
        pool_reset_on_return=None,
        isolation_level="AUTOCOMMIT",
    )

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("SET plan_cache_mode = force_custom_plan")
        dbapi_connection.commit()

    return engine


def _first_line(exc: BaseException) -> str:
    original = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(original).splitlines() if line.strip()]
    return lines[0] if lines else type(original).__name__


class Database:
    """An open acceptance store: the engine, sessions and serialised write transactions."""

    def __init__(self, url: URL) -> None:
        self.url = url
        try:
            if url.get_backend_name() == "sqlite":
                self.engine = _sqlite_engine(url)
            else:
                self.engine = _postgresql_engine(url)
        except (NoSuchModuleError, ImportError) as exc:
            raise StoreError(
                f"no driver for {redact(url)}: {_first_line(exc)}",
                hint="install psycopg[binary] for postgresql+psycopg:// URLs",
            ) from exc
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._write_lock = threading.Lock()
        self._lock_file: BinaryIO | None = None
        self._autocommit: Engine | None = None
        self._compiled: dict[Select[*tuple[Any, ...]], tuple[str, list[str], dict[str, Any]]] = {}

    @classmethod
    def from_url(cls, raw: str, *, root: Path | str = ".", create: bool = True) -> Database:
        """Open (and check we can connect to) the database at ``raw``.

        With ``create=False`` (commands that only read) a missing SQLite file is a
        StoreError, never a new empty file. With ``create=True`` a new SQLite file may be
        made, but its folder only inside ``<root>/.publisher/``.
        """
        url = parse_url(raw, root=Path(root))
        if url.get_backend_name() == "sqlite":
            _prepare_sqlite_file(Path(url.database or ""), root=Path(root), create=create)
        database = cls(url)
        database.check()
        return database

    @classmethod
    def from_settings(cls, settings: Settings, *, create: bool = True) -> Database:
        """Open the database named by the ``database_url`` setting."""
        return cls.from_url(settings.database_url, root=settings.root, create=create)

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    def describe(self) -> str:
        """The URL with the password hidden."""
        return redact(self.url)

    def check(self) -> None:
        """Connect once; a failure becomes a one-line StoreError naming the URL."""
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except (SQLAlchemyError, OSError) as exc:
            raise StoreError(
                f"cannot connect to {self.describe()}: {_first_line(exc)}",
                hint="check the setting database_url (env PUBLISHER_DATABASE_URL)",
            ) from exc

    def session(self) -> Session:
        """A new ORM session (use as a context manager; commit explicitly)."""
        return self._sessions()

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction that serialises with every other writer on SQLite.

        Commits on success, rolls back on error. On PostgreSQL the caller takes the row lock
        it needs (see :func:`publisher.store.ledger.record_acceptances`). On SQLite, writers
        first queue on a lock file next to the database (``flock``), so they wait in the
        kernel instead of SQLite's sleep-and-retry busy handler: correctness still comes from
        ``BEGIN IMMEDIATE``, the lock file only makes the wait short.
        """
        if self.dialect != "sqlite":
            with self.engine.connect() as connection, connection.begin():
                yield connection
            return
        with self._sqlite_writer(), self.engine.connect() as connection:
            connection = connection.execution_options(immediate=True)
            with connection.begin():
                yield connection

    @contextmanager
    def _sqlite_writer(self) -> Iterator[None]:
        with self._write_lock:
            if self._lock_file is None:
                path = Path(f"{self.url.database}.writelock")
                self._lock_file = open(path, "a+b")  # noqa: SIM115 - kept open for the process
            fcntl.flock(self._lock_file.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(self._lock_file.fileno(), fcntl.LOCK_UN)

    @property
    def autocommit_engine(self) -> Engine:
        """PostgreSQL: a pool in autocommit for the hot paths (ledger checks, link, flush;
        status reads), one round trip per statement; a connection the server dropped fails
        that one statement and is replaced. SQLite: the store's own engine."""
        if self.dialect == "sqlite":
            return self.engine
        with self._write_lock:
            if self._autocommit is None:
                self._autocommit = _autocommit_engine(self.url)
            return self._autocommit

    def hot_rows(
        self, statement: Select[*tuple[Any, ...]], parameters: Mapping[str, Any]
    ) -> list[Any]:
        """The rows of ``statement`` (its ``bindparam`` values in ``parameters``), one read of
        a hot path, its own transaction: values as the driver returns them, so only for
        text and integer columns (no SQLAlchemy type processing either way).

        SQLite: compiled once per statement and run on a pooled ``sqlite3`` connection in
        autocommit (the one SELECT is its own snapshot), without the checkout's BEGIN and
        rollback. PostgreSQL: through :attr:`autocommit_engine`."""
        if self.dialect != "sqlite":
            with self.autocommit_engine.connect() as connection:
                return list(connection.execute(statement, parameters).all())
        compiled = self._compiled.get(statement)
        if compiled is None:
            done = statement.compile(dialect=self.engine.dialect)
            compiled = self._compiled[statement] = (
                done.string,
                done.positiontup or [],
                done.params,
            )
        sql, names, defaults = compiled
        values = [parameters[n] if n in parameters else defaults[n] for n in names]
        pooled = self.engine.raw_connection()
        try:
            driver = pooled.driver_connection
            assert isinstance(driver, sqlite3.Connection), driver
            try:
                return driver.execute(sql, values).fetchall()
            except sqlite3.Error as error:
                raise DBAPIError.instance(sql, values, error, sqlite3.Error) from error
        finally:
            pooled.close()

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only transaction (rolled back at the end)."""
        with self.engine.connect() as connection, connection.begin() as transaction:
            yield connection
            transaction.rollback()

    def dispose(self) -> None:
        """Close every pooled connection (and the SQLite lock file)."""
        self.engine.dispose()
        if self._autocommit is not None:
            self._autocommit.dispose()
            self._autocommit = None
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.dispose()

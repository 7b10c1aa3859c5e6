"""Each Deployment's Airflow metadata database and its login role, on the cluster's PostgreSQL.

Idempotent: `ensure` creates what is missing and resets the role's password to the Deployment's; `drop`
removes both and is happy when they are already gone.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict


class DatabaseUnavailable(Exception):
    """The cluster's PostgreSQL could not be reached (worth retrying)."""


class DatabaseRejected(Exception):
    """The cluster's PostgreSQL refused what we asked (say, the admin role may not create roles): retrying the
    same request cannot help."""


def usable_url(admin_url: str) -> bool:
    """Whether PostgreSQL's client can read the URL (its port, query parameters, %-escapes), without connecting."""
    try:
        conninfo_to_dict(admin_url)
    except psycopg.ProgrammingError:
        return False
    return True


def _connect(admin_url: str) -> psycopg.Connection:
    if not usable_url(admin_url):  # libpq's own message would quote the part it cannot read: the password, say
        raise DatabaseRejected("The cluster's database admin URL is not one PostgreSQL can use; replace it.")
    try:
        return psycopg.connect(admin_url, autocommit=True, connect_timeout=10)
    except psycopg.OperationalError as error:
        raise DatabaseUnavailable(
            f"Cannot reach the metadata PostgreSQL: {str(error).strip().splitlines()[-1]}"
        ) from None


@contextmanager
def _admin(admin_url: str) -> Iterator[psycopg.Connection]:
    """An admin connection; what the server refuses becomes DatabaseRejected (its first line only: later lines
    may quote the statement, and with it a password)."""
    with _connect(admin_url) as conn:
        try:
            yield conn
        except psycopg.OperationalError as error:
            raise DatabaseUnavailable(f"The metadata PostgreSQL failed: {str(error).strip().splitlines()[0]}") from None
        except psycopg.Error as error:
            raise DatabaseRejected(f"The metadata PostgreSQL refused: {str(error).strip().splitlines()[0]}") from None


def ensure(admin_url: str, *, name: str, user: str, password: str) -> bool:
    """Creates the role and database if missing. Returns True when something was created."""
    created = False
    with _admin(admin_url) as conn:
        if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [user]).fetchone():
            conn.execute(
                sql.SQL("ALTER ROLE {} WITH LOGIN PASSWORD {}").format(sql.Identifier(user), sql.Literal(password))
            )
        else:
            conn.execute(
                sql.SQL("CREATE ROLE {} WITH LOGIN PASSWORD {}").format(sql.Identifier(user), sql.Literal(password))
            )
            created = True
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            # The admin must be able to hand the database to the role it just created.
            conn.execute(sql.SQL("GRANT {} TO CURRENT_USER").format(sql.Identifier(user)))
            conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(name), sql.Identifier(user)))
            created = True
    return created


def drop(admin_url: str, *, name: str, user: str) -> None:
    with _admin(admin_url) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(user)))


def exists(admin_url: str, *, name: str, user: str) -> tuple[bool, bool]:
    """(database exists, role exists), for tests and the admin."""
    with _connect(admin_url) as conn:
        db = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None
        role = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [user]).fetchone() is not None
    return db, role

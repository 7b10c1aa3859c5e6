"""Each Deployment's Airflow metadata database and its login role, on the cluster's PostgreSQL.

Idempotent: `ensure` creates what is missing and resets the role's password to the Deployment's; `drop`
removes both and is happy when they are already gone.
"""

import psycopg
from psycopg import sql


class DatabaseUnavailable(Exception):
    """The cluster's PostgreSQL could not be reached (worth retrying)."""


def _connect(admin_url: str) -> psycopg.Connection:
    try:
        return psycopg.connect(admin_url, autocommit=True, connect_timeout=10)
    except psycopg.OperationalError as error:
        raise DatabaseUnavailable(
            f"Cannot reach the metadata PostgreSQL: {str(error).strip().splitlines()[-1]}"
        ) from None


def ensure(admin_url: str, *, name: str, user: str, password: str) -> bool:
    """Creates the role and database if missing. Returns True when something was created."""
    created = False
    with _connect(admin_url) as conn:
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
    with _connect(admin_url) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(user)))


def exists(admin_url: str, *, name: str, user: str) -> tuple[bool, bool]:
    """(database exists, role exists), for tests and the admin."""
    with _connect(admin_url) as conn:
        db = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None
        role = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [user]).fetchone() is not None
    return db, role

"""Each Deployment's Airflow metadata database and its login role, on the cluster's PostgreSQL.

Idempotent: `ensure` creates what is missing and resets the role's password to the Deployment's; `drop`
removes both and is happy when they are already gone. For an organisation's cluster (`guarded`) the admin URL's
hosts must pass the outbound policy, and libpq connects to the very addresses checked.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from aerodrome import outbound


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


# libpq parameters that make it read files or service definitions on the machine that connects: an organisation's
# URL must not make our workers read (or send) them. A platform cluster's URL, set by staff, may use them.
LOCAL_PARAMETERS = ("passfile", "service", "servicefile", "sslcert", "sslkey", "sslrootcert", "sslcrl", "sslcrldir")


def local_references(admin_url: str) -> list[str]:
    """The parameters of the URL that name local files or services."""
    try:
        params = conninfo_to_dict(admin_url)
    except psycopg.ProgrammingError:
        return []
    return [name for name in LOCAL_PARAMETERS if params.get(name)]


def _local_refusal(admin_url: str) -> str | None:
    local = local_references(admin_url)
    if not local:
        return None
    return (
        f"Remove {', '.join(local)}: Aerodrome never reads files or service definitions an organisation's database URL "
        "names. Use sslmode=verify-full with a certificate your PostgreSQL's public CA signed, and a password."
    )


def refusal(admin_url: str) -> str | None:
    """Why the URL may not be used for an organisation's cluster: local files it names, or hosts the outbound policy
    refuses (None when they pass, or do not resolve from here right now: every connection checks again)."""
    local = _local_refusal(admin_url)
    if local:
        return local
    try:
        outbound.libpq_target(conninfo_to_dict(admin_url))
    except outbound.Refused as refused:
        return refused.reason
    except (OSError, ValueError, psycopg.ProgrammingError):
        return None
    return None


def _connect(admin_url: str, *, guarded: bool) -> psycopg.Connection:
    if not usable_url(admin_url):  # libpq's own message would quote the part it cannot read: the password, say
        raise DatabaseRejected("The cluster's database admin URL is not one PostgreSQL can use; replace it.")
    target = _checked_target(admin_url) if guarded else {}
    try:
        return psycopg.connect(admin_url, autocommit=True, connect_timeout=10, **target)
    except psycopg.OperationalError as error:
        raise DatabaseUnavailable(
            f"Cannot reach the metadata PostgreSQL: {str(error).strip().splitlines()[-1]}"
        ) from None


def _checked_target(admin_url: str) -> dict[str, str]:
    """host, hostaddr and port that pass the outbound policy (they override the URL's)."""
    local = _local_refusal(admin_url)
    if local:
        raise DatabaseRejected(local)
    try:
        return outbound.libpq_target(conninfo_to_dict(admin_url))
    except outbound.Refused as refused:
        raise DatabaseRejected(f"Refused: {refused.reason}") from None
    except OSError:  # socket.gaierror: the name does not resolve (now)
        raise DatabaseUnavailable("Cannot reach the metadata PostgreSQL: its host name does not resolve.") from None


@contextmanager
def _admin(admin_url: str, *, guarded: bool) -> Iterator[psycopg.Connection]:
    """An admin connection; what the server refuses becomes DatabaseRejected (its first line only: later lines
    may quote the statement, and with it a password)."""
    with _connect(admin_url, guarded=guarded) as conn:
        try:
            yield conn
        except psycopg.OperationalError as error:
            raise DatabaseUnavailable(f"The metadata PostgreSQL failed: {str(error).strip().splitlines()[0]}") from None
        except psycopg.Error as error:
            raise DatabaseRejected(f"The metadata PostgreSQL refused: {str(error).strip().splitlines()[0]}") from None


def ensure(admin_url: str, *, name: str, user: str, password: str, guarded: bool) -> bool:
    """Creates the role and database if missing. Returns True when something was created."""
    created = False
    with _admin(admin_url, guarded=guarded) as conn:
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


def drop(admin_url: str, *, name: str, user: str, guarded: bool) -> None:
    with _admin(admin_url, guarded=guarded) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(user)))


def exists(admin_url: str, *, name: str, user: str, guarded: bool) -> tuple[bool, bool]:
    """(database exists, role exists), for tests and the admin."""
    with _connect(admin_url, guarded=guarded) as conn:
        db = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None
        role = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [user]).fetchone() is not None
    return db, role

"""Airflow 3's async engine behind pgbouncer.

Airflow 3 derives an asyncpg engine from `sql_alchemy_conn`. asyncpg prepares named statements and caches them per
connection; in transaction mode pgbouncer gives each transaction whichever server connection is free, so a cached
statement is soon missing (`prepared statement "__asyncpg_stmt_6__" does not exist`). pgbouncer 1.21+ could track
them (`max_prepared_statements`), but the fix proven here (deployments/tests/test_real_airflow.py, against Debian's
pgbouncer 1.18 running the rendered pgbouncer.ini) is the client-side one SQLAlchemy documents for pgbouncer: no
statement caches, and statement names that never repeat (given through asyncpg's `connection_class`: Airflow 3.1's
SQLAlchemy 1.4 has no `prepared_statement_name_func`). Airflow 3.1+ reads connect args for its async engine from
`[database] sql_alchemy_connect_args_async`; 3.0 opens no async session. The args live in a module of their own in
the config folder (on every Airflow process's sys.path), so an image's own airflow_local_settings.py still works.
"""

from deployments.kube.render.base import CONFIG_DIR, airflow_at_least
from deployments.kube.spec import DeploymentSpec

MODULE = "aerodrome_pgbouncer"
FILE = f"{MODULE}.py"
MOUNT_PATH = f"{CONFIG_DIR}/{FILE}"
CONNECT_ARGS = f"{MODULE}.ASYNC_CONNECT_ARGS"
SOURCE = '''\
# Written by Aerodrome: connect args for Airflow's async engine (asyncpg) behind pgbouncer's transaction pooling,
# where consecutive transactions may run on different server connections.
import uuid

import asyncpg


class UniquelyNamedStatements(asyncpg.Connection):
    """asyncpg names prepared statements __asyncpg_stmt_<n>__, counting per client connection, so two clients
    reuse a name on one server connection; a random name never meets another."""

    async def prepare(self, query, *, name=None, **kwargs):
        return await super().prepare(query, name=name or f"__asyncpg_{uuid.uuid4().hex}__", **kwargs)


# No statement caches: a cached statement may not exist on the next transaction's server connection.
ASYNC_CONNECT_ARGS = {
    "statement_cache_size": 0,
    "prepared_statement_cache_size": 0,
    "connection_class": UniquelyNamedStatements,
}
'''


def configured(spec: DeploymentSpec) -> bool:
    return airflow_at_least(spec, 3, 1)

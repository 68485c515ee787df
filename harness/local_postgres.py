"""A local PostgreSQL for tests and the benchmark: a throwaway cluster started from the local
binaries (``initdb``, ``pg_ctl``) and deleted afterwards, and scratch databases on a server.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa


class PostgresUnavailable(RuntimeError):
    """No local PostgreSQL binaries to start a cluster from."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def postgres_bindir() -> Path | None:
    """The folder of ``initdb``/``pg_ctl``: the newest /usr/lib/postgresql/*/bin, else PATH."""
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(candidate, "initdb").exists():
            return Path(candidate)
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@contextmanager
def throwaway_cluster(*, durable: bool = True) -> Iterator[str]:
    """Initialise, start, yield the URL of, then stop and delete a local PostgreSQL cluster.

    ``durable=False`` turns off fsync, synchronous commit and full-page writes: for tests,
    whose data does not outlive them. Raises PostgresUnavailable without local binaries.
    """
    bindir = postgres_bindir()
    if bindir is None:
        raise PostgresUnavailable(
            "no local PostgreSQL server binaries (initdb, pg_ctl) to start a cluster from"
        )
    root = Path(tempfile.mkdtemp(prefix="sm-pg-"))
    datadir = root / "data"
    port = _free_port()
    as_user: list[str] = []
    if os.geteuid() == 0:
        # PostgreSQL refuses to run as root: hand the cluster to the postgres system user.
        shutil.chown(root, "postgres", "postgres")
        root.chmod(0o755)
        as_user = ["runuser", "-u", "postgres", "--"]
    try:
        subprocess.run(
            [*as_user, str(bindir / "initdb"), "-D", str(datadir), "-U", "root", "--auth=trust"],
            check=True,
            capture_output=True,
        )
        options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1"
        if not durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        subprocess.run(
            [*as_user, str(bindir / "pg_ctl"), "-D", str(datadir), "-o", options]
            + ["-l", str(root / "server.log"), "-w", "start"],
            check=True,
            capture_output=True,
        )
        try:
            yield f"postgresql://root@127.0.0.1:{port}/postgres"
        finally:
            subprocess.run(
                [*as_user, str(bindir / "pg_ctl"), "-D", str(datadir), "-m", "fast", "stop"],
                capture_output=True,
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def scratch_database(server_url: str, prefix: str = "sm_scratch") -> Iterator[str]:
    """A new database on ``server_url`` (its URL is yielded), dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(
        sa.make_url(server_url).set(drivername="postgresql+psycopg"),
        isolation_level="AUTOCOMMIT",
        poolclass=sa.pool.NullPool,
    )
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'create database "{name}"')
        url = sa.make_url(server_url).set(database=name)
        try:
            yield url.render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'drop database if exists "{name}" with (force)')
    finally:
        admin.dispose()

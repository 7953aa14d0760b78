"""A PostgreSQL server for the tests: the one $ROUTING_TEST_POSTGRES names (CI's, started by .ci/run), or
else a throwaway one started here with the installed server binaries (Debian's ``postgresql``:
/usr/lib/postgresql/*/bin): ``initdb`` into a temporary directory, ``pg_ctl start`` on a free port of
127.0.0.1 with its socket in that directory, trust authentication, fsync off; a role and database
``routing``. As root the server runs as the ``postgres`` user (PostgreSQL refuses root).

Each test gets a schema of its own (:func:`fresh_schema_url`): the URL's ``options`` set its
``search_path``, so tests never see each other's runs.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

ENV = "ROUTING_TEST_POSTGRES"


def server_binaries() -> Path | None:
    """The directory of ``initdb`` and ``pg_ctl`` (the newest installed version), None if none."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4])
                   if p.split("/")[4].isdigit() else 0)
    if found:
        return Path(found[-1]).parent
    pg_ctl = shutil.which("pg_ctl")
    return Path(pg_ctl).resolve().parent if pg_ctl else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def temporary_server() -> Iterator[str]:
    """Start a throwaway server; yields its URL for role and database ``routing``; stops and removes it."""
    bin_dir = server_binaries()
    if bin_dir is None:
        raise RuntimeError("no PostgreSQL server binaries (apt-get install postgresql)")
    user = None
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
    root = Path(tempfile.mkdtemp(prefix="routing-pg-"))
    if user is not None:
        os.chown(root, user.pw_uid, user.pw_gid)
    as_user = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []} if user is not None else {}
    data, port = root / "data", _free_port()

    def run(*args: str) -> None:
        subprocess.run([str(a) for a in args], check=True, capture_output=True, text=True, cwd=root, **as_user)

    started = False
    try:
        run(bin_dir / "initdb", "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")
        run(bin_dir / "pg_ctl", "-D", data, "-l", root / "server.log", "-w", "-t", "30", "-o",
            f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
            f"-c full_page_writes=off", "start")
        started = True
        import psycopg

        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{port}/postgres", autocommit=True) as admin:
            admin.execute("CREATE ROLE routing LOGIN")
            admin.execute("CREATE DATABASE routing OWNER routing")
        yield f"postgresql://routing@127.0.0.1:{port}/routing"
    finally:
        if started:
            with contextlib.suppress(subprocess.CalledProcessError):
                run(bin_dir / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)


def fresh_schema_url(base: str) -> tuple[str, str]:
    """A new schema in the database of ``base``: (URL whose search_path is that schema, its name)."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base, autocommit=True) as con:
        con.execute(f"CREATE SCHEMA {name}")
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{name}", name


def drop_schema(base: str, name: str) -> None:
    import psycopg

    with contextlib.suppress(psycopg.Error), psycopg.connect(base, autocommit=True) as con:
        con.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")

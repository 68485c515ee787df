"""Wire Metabase to the warehouse through the read-only BI login (one-shot `metabase-setup`).

Run by docker-compose.yaml after Metabase is healthy, on every `docker compose up`:

1. the first time, finish Metabase's setup (``POST /api/setup``) with the admin account of
   ``.env``; later, log in as that admin (``POST /api/session``);
2. add the warehouse as the database ``Social metrics warehouse`` (``POST /api/database``),
   or update it (``PUT /api/database/:id``) so a password changed in ``.env`` is applied. It
   connects as METABASE_DB_USER, a member of marts_reader only, and Metabase syncs the
   ``marts`` schema only.

Environment: METABASE_URL, METABASE_ADMIN_EMAIL, METABASE_ADMIN_PASSWORD, WAREHOUSE_HOST,
WAREHOUSE_PORT, WAREHOUSE_DB, BI_USER, BI_PASSWORD; METABASE_WAIT_SECONDS (default 600).
Exits 0 when Metabase is wired, 1 with one line saying what is wrong otherwise.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping

import requests

DATABASE_NAME = "Social metrics warehouse"
SITE_NAME = "Social metrics"
TIMEOUT_SECONDS = 30


class SetupError(Exception):
    """Metabase cannot be wired; the message says why."""


def database_payload(env: Mapping[str, str]) -> dict:
    """The Metabase database entry of the warehouse: the BI login, the marts schema only."""
    return {
        "engine": "postgres",
        "name": DATABASE_NAME,
        "details": {
            "host": env["WAREHOUSE_HOST"],
            "port": int(env.get("WAREHOUSE_PORT") or 5432),
            "dbname": env["WAREHOUSE_DB"],
            "user": env["BI_USER"],
            "password": env["BI_PASSWORD"],
            "ssl": False,
            "schema-filters-type": "inclusion",
            "schema-filters-patterns": "marts",
        },
        "is_full_sync": True,
    }


def wait_until_healthy(session: requests.Session, base_url: str, wait_seconds: float) -> None:
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            if session.get(f"{base_url}/api/health", timeout=TIMEOUT_SECONDS).ok:
                return
        except requests.RequestException:
            pass
        if time.monotonic() >= deadline:
            raise SetupError(f"Metabase at {base_url} is not healthy after {wait_seconds:.0f} s")
        time.sleep(2)


def _json(response: requests.Response, what: str):
    if not response.ok:
        raise SetupError(f"{what}: HTTP {response.status_code}: {response.text[:300]}")
    return response.json()


def admin_session(session: requests.Session, base_url: str, env: Mapping[str, str]) -> str:
    """Finish the first-run setup, or log in; return the session id."""
    properties = _json(
        session.get(f"{base_url}/api/session/properties", timeout=TIMEOUT_SECONDS),
        "reading Metabase's properties",
    )
    email, password = env["METABASE_ADMIN_EMAIL"], env["METABASE_ADMIN_PASSWORD"]
    if not properties.get("has-user-setup"):
        body = {
            "token": properties.get("setup-token"),
            "user": {
                "first_name": "Admin",
                "last_name": "Socialmetrics",
                "email": email,
                "password": password,
                "site_name": SITE_NAME,
            },
            "prefs": {"site_name": SITE_NAME, "site_locale": "en", "allow_tracking": False},
        }
        answer = _json(
            session.post(f"{base_url}/api/setup", json=body, timeout=TIMEOUT_SECONDS),
            "first-run setup of Metabase (is METABASE_ADMIN_PASSWORD strong enough?)",
        )
        print(f"metabase-setup: created the admin {email}")
        return answer["id"]
    answer = _json(
        session.post(
            f"{base_url}/api/session",
            json={"username": email, "password": password},
            timeout=TIMEOUT_SECONDS,
        ),
        f"logging in to Metabase as {email} (METABASE_ADMIN_EMAIL / METABASE_ADMIN_PASSWORD)",
    )
    return answer["id"]


def wire_database(session: requests.Session, base_url: str, env: Mapping[str, str]) -> str:
    """Add or update the warehouse database; return 'added' or 'updated'."""
    payload = database_payload(env)
    listed = _json(
        session.get(f"{base_url}/api/database", timeout=TIMEOUT_SECONDS), "listing databases"
    )
    databases = listed.get("data", []) if isinstance(listed, dict) else listed
    existing = [db for db in databases if db.get("name") == DATABASE_NAME]
    if existing:
        database_id = existing[0]["id"]
        _json(
            session.put(
                f"{base_url}/api/database/{database_id}", json=payload, timeout=TIMEOUT_SECONDS
            ),
            f"updating the database {DATABASE_NAME!r}",
        )
        return "updated"
    _json(
        session.post(f"{base_url}/api/database", json=payload, timeout=TIMEOUT_SECONDS),
        f"adding the database {DATABASE_NAME!r} (can {env['BI_USER']} log in to the warehouse?)",
    )
    return "added"


def main(env: Mapping[str, str] = os.environ) -> int:
    required = (
        "METABASE_URL",
        "METABASE_ADMIN_EMAIL",
        "METABASE_ADMIN_PASSWORD",
        "WAREHOUSE_HOST",
        "WAREHOUSE_DB",
        "BI_USER",
        "BI_PASSWORD",
    )
    missing = [name for name in required if not env.get(name)]
    placeholders = [
        name
        for name in required
        if "PASSWORD" in name and env.get(name, "").startswith("change-me")
    ]
    if missing or placeholders:
        print(
            f"metabase-setup: set {', '.join(missing + placeholders)} in .env "
            "(python3 docker/make_env.py writes one with fresh secrets)",
            file=sys.stderr,
        )
        return 1
    base_url = env["METABASE_URL"].rstrip("/")
    with requests.Session() as session:
        try:
            wait_until_healthy(session, base_url, float(env.get("METABASE_WAIT_SECONDS") or 600))
            session.headers["X-Metabase-Session"] = admin_session(session, base_url, env)
            outcome = wire_database(session, base_url, env)
        except (SetupError, requests.RequestException) as exc:
            print(f"metabase-setup: {exc}", file=sys.stderr)
            return 1
    print(
        f"metabase-setup: {outcome} {DATABASE_NAME!r}: {env['BI_USER']}@"
        f"{env['WAREHOUSE_HOST']}/{env['WAREHOUSE_DB']}, schema marts"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Write ``.env`` for docker-compose.yaml from ``.env.example`` with fresh secrets.

    python3 docker/make_env.py            # writes .env next to docker-compose.yaml
    python3 docker/make_env.py -o FILE    # elsewhere; "-" for standard output

Every value ``change-me`` of the example becomes a random secret (hex, so it is safe inside
connection URLs and JSON), AIRFLOW_FERNET_KEY a Fernet key, and AIRFLOW_UID the current
user's id unless that is root (files written by the containers stay yours). Everything else
is copied as it is: edit the result for production (X API token, SMTP relay, registry
folder). Refuses to overwrite an existing file. Standard library only.
"""

from __future__ import annotations

import argparse
import base64
import os
import re
import secrets
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PLACEHOLDER = "change-me"
_ASSIGNMENT = re.compile(r"^(?P<key>[A-Z][A-Z0-9_]*)=(?P<value>.*)$")


def fernet_key() -> str:
    """A key for Airflow's Fernet encryption of connections and Variables."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode("ascii")


def render(example: str, uid: int | None = None) -> str:
    """The example's text with every placeholder replaced."""
    lines = []
    for line in example.splitlines():
        match = _ASSIGNMENT.match(line)
        if match:
            key, value = match["key"], match["value"]
            if value == PLACEHOLDER:
                value = fernet_key() if key == "AIRFLOW_FERNET_KEY" else secrets.token_hex(24)
            elif key == "AIRFLOW_UID" and uid:  # root keeps the image's user, 50000
                value = str(uid)
            line = f"{key}={value}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-o", "--output", default=str(ROOT / ".env"))
    parser.add_argument("--example", default=str(ROOT / ".env.example"))
    args = parser.parse_args(argv)
    uid = os.getuid() if hasattr(os, "getuid") else None
    text = render(Path(args.example).read_text(encoding="utf-8"), uid=uid)
    if args.output == "-":
        sys.stdout.write(text)
        return 0
    output = Path(args.output)
    if output.exists():
        print(f"{output} exists; not overwriting it (move it away first)", file=sys.stderr)
        return 1
    output.touch(mode=0o600)
    output.write_text(text, encoding="utf-8")
    print(f"wrote {output} with fresh secrets; review it before `docker compose up`")
    return 0


if __name__ == "__main__":
    sys.exit(main())

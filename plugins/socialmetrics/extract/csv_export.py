"""Extract the CSV analytics exports of the export folder into the raw landing (SPEC §5.2).

The folder is the Airflow Variable ``socialmetrics_export_dir``; unset, nothing is landed.
Every file of the folder (not its sub-folders; hidden files such as ``.DS_Store`` aside) is
landed as one record, whatever its dates: which rows fall in the run's window is decided
when parsing (:mod:`socialmetrics.staging.csv_export`), so a re-run re-reads the same
landing. Nothing is judged here beyond matching the file name to a registry account: a bad
name, an unknown account or bytes that are not UTF-8 are landed too and become issues.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime
from pathlib import Path

from socialmetrics.connectors.http import ResponseRecord
from socialmetrics.errors import ConfigurationError
from socialmetrics.landing import LandingWriter
from socialmetrics.registry import account_key
from socialmetrics.staging.csv_export import CSV_PLATFORM, parse_export_name
from socialmetrics.window import RunWindow

EXPORT_DIR_VARIABLE = "socialmetrics_export_dir"


def _decode_error(raw: bytes, error: UnicodeDecodeError) -> dict:
    """Line and column (1-based, in bytes) of the first byte that is not UTF-8."""
    start = error.start
    line_start = raw.rfind(b"\n", 0, start) + 1
    return {
        "line": raw.count(b"\n", 0, start) + 1,
        "column": start - line_start + 1,
        "message": f"byte 0x{raw[start]:02x} is not UTF-8 ({error.reason})",
    }


def export_files(export_dir: Path) -> list[Path]:
    """The files of the export folder that are landed, by name."""
    return sorted(
        path for path in export_dir.iterdir() if path.is_file() and not path.name.startswith(".")
    )


def extract_csv_batch(
    batch: dict, window: RunWindow, export_dir: Path | None, landing_path: Path
) -> dict:
    """Land every file of ``export_dir`` in ``landing_path``, one record per file.

    A record has platform ``csv``, endpoint = the file name, params ``{"path", "sha256"}``
    (path relative to the folder, digest of the bytes), status 200, body = the text decoded
    as UTF-8 (a BOM is dropped) and context ``{"kind": "csv_export", "account_key": ...}``
    with the registry key of the account the name designates among ``batch["accounts"]``
    (None when it designates none). Bytes that are not UTF-8 are landed base64-encoded, with
    ``context["body_encoding"] = "base64"`` and ``context["decode_error"]`` (line, column,
    message). ``export_dir`` None (the Variable unset) lands an empty file; a folder that
    does not exist raises ConfigurationError naming the Variable.
    """
    keys = {account["account_key"] for account in batch["accounts"]}
    files = 0
    if export_dir is not None and not Path(export_dir).is_dir():
        raise ConfigurationError(
            f"Airflow Variable {EXPORT_DIR_VARIABLE!r} is {str(export_dir)!r}, which is not a "
            "folder: create it, or unset the Variable if no CSV exports are used."
        )
    with LandingWriter(landing_path) as landing:
        for path in export_files(Path(export_dir)) if export_dir is not None else []:
            raw = path.read_bytes()
            name = parse_export_name(path.name)
            key = None
            if name.problem is None:
                candidate = account_key(name.platform, name.account_ref)
                key = candidate if candidate in keys else None
            landing.context = {"kind": "csv_export", "account_key": key}
            try:
                body = raw.decode("utf-8-sig")
            except UnicodeDecodeError as error:
                body = base64.b64encode(raw).decode("ascii")
                landing.context.update(
                    body_encoding="base64", decode_error=_decode_error(raw, error)
                )
            landing(
                ResponseRecord(
                    platform=CSV_PLATFORM,
                    endpoint=path.name,
                    params={
                        "path": str(path.relative_to(export_dir)),
                        "sha256": hashlib.sha256(raw).hexdigest(),
                    },
                    fetched_at=datetime.now(UTC),
                    status=200,
                    body=body,
                )
            )
            files += 1
    return {
        "batch": batch["batch"],
        "platform": CSV_PLATFORM,
        "landing_file": str(landing_path),
        "accounts": len(batch["accounts"]),
        "calls": {"files": files},
    }

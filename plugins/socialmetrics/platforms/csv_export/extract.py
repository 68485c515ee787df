"""Extract the CSV analytics exports of the export folder into the raw landing.

The folder is the Airflow Variable ``socialmetrics_export_dir``; unset, nothing is landed.
Every file of the folder and of its sub-folders (a folder per account is how an export
that does not name its account is given one; hidden files and folders such as
``.DS_Store`` aside) is landed as one record, whatever its dates: which layout it has, which
account it belongs to and which rows fall in the run's window are decided when parsing
(:mod:`socialmetrics.platforms.csv_export.parse`), so a re-run re-reads the same landing. Nothing is
judged here: an unknown layout or account, or bytes that are not UTF-8, are landed too and
become issues.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime
from pathlib import Path

from socialmetrics.errors import ConfigurationError
from socialmetrics.landing import LandingWriter
from socialmetrics.platforms.answers import ResponseRecord
from socialmetrics.platforms.csv_export.parse import CSV_PLATFORM
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
    """The files of the export folder and its sub-folders that are landed, by path; hidden
    files and folders (a name starting with ``.``) are left out."""
    return sorted(
        path
        for path in export_dir.rglob("*")
        if path.is_file()
        and not any(part.startswith(".") for part in path.relative_to(export_dir).parts)
    )


def extract_csv_batch(
    batch: dict, window: RunWindow, export_dir: Path | None, landing_path: Path
) -> dict:
    """Land every file of ``export_dir`` in ``landing_path``, one record per file.

    A record has platform ``csv``, endpoint = the file name, params ``{"path", "sha256"}``
    (path relative to the folder, with ``/``; digest of the bytes), status 200, body = the
    text decoded as UTF-8 (a BOM is dropped) and context ``{"kind": "csv_export"}``. Bytes
    that are not UTF-8 are landed base64-encoded, with ``context["body_encoding"] =
    "base64"`` and ``context["decode_error"]`` (line, column, message). ``export_dir`` None
    (the Variable unset) lands an empty file; a folder that does not exist raises
    ConfigurationError naming the Variable. The summary carries the batch's accounts
    (``export_accounts``) for the parser, which gives each row its account.
    """
    files = 0
    if export_dir is not None and not Path(export_dir).is_dir():
        raise ConfigurationError(
            f"Airflow Variable {EXPORT_DIR_VARIABLE!r} is {str(export_dir)!r}, which is not a "
            "folder: create it, or unset the Variable if no CSV exports are used."
        )
    with LandingWriter(landing_path) as landing:
        for path in export_files(Path(export_dir)) if export_dir is not None else []:
            raw = path.read_bytes()
            landing.context = {"kind": "csv_export"}
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
                        "path": path.relative_to(export_dir).as_posix(),
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
        "connector": batch.get("connector", "csv_export"),
        "landing_file": str(landing_path),
        "accounts": len(batch["accounts"]),
        "calls": {"files": files},
        "export_accounts": batch["accounts"],
    }

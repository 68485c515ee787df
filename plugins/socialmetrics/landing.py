"""The raw landing: every platform answer kept as received, before any parsing
(docs/decisions/0006-land-every-answer-first.md).

A batch's answers are appended to one JSON-lines file per run and batch; the load step copies
them into ``raw.api_response``. Records carry the request (endpoint, parameters without
secrets), when it was fetched, the status, the body text as received, and the context the
extractor was in (which account the answer is about).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def run_folder(landing_dir: Path, run_id: str) -> Path:
    """The folder of one run's landing files (the run id made safe for file names)."""
    return Path(landing_dir) / re.sub(r"[^A-Za-z0-9_.-]+", "_", run_id)


class LandingWriter:
    """Appends answer records to a batch file; ``context`` is attached to each record.

    The file is written under a temporary name and renamed on ``close``, so a batch file is
    always a whole extract. When the extract fails, what it received is kept all the same,
    as the batch's failed attempt (``x-00.failed-1.jsonl``, see :func:`failed_attempts`):
    nothing received is ever lost, and the load copies those answers into ``raw`` too.
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._partial = self.path.with_suffix(self.path.suffix + ".partial")
        self._file = self._partial.open("w", encoding="utf-8")
        self.context: dict[str, Any] = {}
        self.records = 0

    def __call__(self, record) -> None:
        line = {
            "seq": self.records,
            "platform": record.platform,
            "endpoint": record.endpoint,
            "params": record.params,
            "fetched_at": record.fetched_at.isoformat(),
            "status": record.status,
            "body": record.body,
            "context": dict(self.context),
        }
        self._file.write(json.dumps(line, ensure_ascii=False) + "\n")
        self.records += 1

    def close(self) -> Path:
        """Finish the file and return its final path."""
        self._file.close()
        os.replace(self._partial, self.path)
        return self.path

    def __enter__(self) -> LandingWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
            return
        self._file.close()
        if self.records == 0:
            self._partial.unlink(missing_ok=True)
            return
        attempt = len(failed_attempts(self.path)) + 1
        os.replace(self._partial, self.path.with_name(f"{self.path.stem}.failed-{attempt}.jsonl"))


def failed_attempts(batch_file: Path) -> list[Path]:
    """The landings of a batch's failed extract attempts, oldest first."""
    batch_file = Path(batch_file)
    found = batch_file.parent.glob(f"{batch_file.stem}.failed-*.jsonl")
    return sorted(found, key=lambda path: int(path.stem.rsplit("-", 1)[1]))


def stranded_attempts(run_dir: Path) -> list[Path]:
    """The failed attempts in a run's folder whose batch never got a whole landing file."""
    stranded = []
    for attempt in sorted(Path(run_dir).glob("*.failed-*.jsonl")):
        batch_file = attempt.with_name(attempt.name.split(".failed-", 1)[0] + ".jsonl")
        if not batch_file.exists():
            stranded.append(attempt)
    return stranded


def read_landing(path: Path) -> Iterator[dict[str, Any]]:
    """Yield the records of one landing file in the order they were received."""
    with Path(path).open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)

"""Which registry account a CSV export belongs to.

The export itself says so where it can (a post address, a page or account id); otherwise a
folder named after the account, or the file name, does. A name that matches no account, or
several, is never guessed at: the caller reports the file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath

from socialmetrics.registry import DEFAULT_SOURCE, DEFAULT_TIMEZONE, account_key


@dataclass(frozen=True)
class ExportAccount:
    """A registry account as the exports batch names it (see extract.plan)."""

    account_key: str
    platform: str
    account_ref: str
    source: str
    timezone: str


class ExportAccounts:
    """The registry accounts, found by platform and account_ref, folder or file name."""

    def __init__(self, accounts: Iterable[dict]):
        self._by_key = {
            a["account_key"]: ExportAccount(
                a["account_key"],
                a["platform"],
                a["account_ref"],
                a.get("source") or DEFAULT_SOURCE,
                a.get("timezone") or DEFAULT_TIMEZONE,
            )
            for a in accounts
        }

    def find(self, platform: str, account_ref: str) -> ExportAccount | None:
        """The account ``account_ref`` of ``platform`` (X usernames in any case)."""
        return self._by_key.get(account_key(platform, account_ref))

    def from_path(self, platform: str, path: str) -> tuple[ExportAccount | None, str]:
        """The account a file's folders (innermost first) or name designate, and how it was
        found (or, when none or several match, why not)."""
        parts = PurePosixPath(path)
        prefix = f"{platform}_"
        for folder in reversed(parts.parent.parts):
            refs = [folder]
            if folder.lower().startswith(prefix):
                refs.append(folder[len(prefix) :])
            for ref in refs:
                if found := self.find(platform, ref):
                    return found, f"the folder {folder!r}"
        matches = self._named_in(platform, parts.stem)
        if len(matches) == 1:
            return matches[0], f"the file name {parts.name!r}"
        if matches:
            refs = ", ".join(sorted(a.account_ref for a in matches))
            return None, f"the file name {parts.name!r} names several accounts ({refs})"
        return None, "neither the export, its folder nor its file name names a registry account"

    def _named_in(self, platform: str, stem: str) -> list[ExportAccount]:
        """Accounts of ``platform`` whose account_ref appears in ``stem`` between characters
        that are not letters or digits; one found inside a longer one's match is dropped."""
        spans = []
        for account in self._by_key.values():
            if account.platform != platform:
                continue
            flags = re.IGNORECASE if platform == "x" else 0
            pattern = rf"(?<![A-Za-z0-9]){re.escape(account.account_ref)}(?![A-Za-z0-9])"
            for match in re.finditer(pattern, stem, flags):
                spans.append((match.start(), match.end(), account))
        kept = [
            (start, end, account)
            for start, end, account in spans
            if not any(s <= start and end <= e and (s, e) != (start, end) for s, e, _ in spans)
        ]
        unique = {account.account_key: account for _, _, account in kept}
        return list(unique.values())

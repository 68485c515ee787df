"""What every export layout says: how it is recognised and how one of its rows is read."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from socialmetrics.platforms.csv_export.layouts.cells import Row, header_key


@dataclass(frozen=True)
class Layout:
    """One platform export layout.

    ``header`` lists the columns (as the platform writes them) that recognise the layout and
    that are read; ``entity`` is the staging entity its rows become. ``account_ref`` returns
    the registry account_ref a row names itself (None when the export does not say: the
    file's folder or name then decides), ``identity`` the column it comes from (for
    messages). ``read`` turns a row into staging values, given the time zone of the
    account's organisation (for exports written in local time); the problems of cells it
    could not read go to ``row.problems``.
    """

    name: str
    platform: str
    entity: str
    header: tuple[str, ...]
    identity: str | None
    account_ref: Callable[[Row], str | None]
    read: Callable[[Row, str], dict]

    def matches(self, keys: set[str]) -> bool:
        return all(header_key(column) in keys for column in self.header)


def no_account_ref(row: Row) -> None:
    """For an export that does not name its account."""
    return None


def x_username(url: str) -> str | None:
    """The username in an X post address, ``https://x.com/<username>/status/<id>`` (also
    twitter.com, www. and mobile.); None for anything else."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    host = (parts.hostname or "").removeprefix("www.").removeprefix("mobile.")
    segments = [segment for segment in parts.path.split("/") if segment]
    if host not in ("x.com", "twitter.com") or len(segments) < 3 or segments[1] != "status":
        return None
    return segments[0]

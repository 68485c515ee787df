"""Normalised keys for free-text places, shared by the gazetteer and follower locations
(docs/design.md#7-follower-locality)."""

from __future__ import annotations

import re
import unicodedata

_APOSTROPHES = re.compile(r"['’‘`´]")
_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)


def place_key(text: str | None) -> str:
    """Return the matching key of a place name or free-text location.

    Casefolds, strips accents, drops apostrophes (``King's`` -> ``kings``), turns ``&`` into
    ``and`` and every other run of non-letters/non-digits (punctuation, emoji, spaces) into one
    space. The key is ``''`` when the text has no letter at all (empty, digits, emoji only):
    such a location is ``unknown``. A location lies in an area when the key of one of the
    area's places occurs in the location's key as a whole-word phrase.
    """
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    folded = _APOSTROPHES.sub("", stripped.casefold()).replace("&", " and ")
    key = _NOT_WORD.sub(" ", folded).strip()
    if not any(ch.isalpha() for ch in key):
        return ""
    return key

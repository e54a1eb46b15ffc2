"""Invented words that exist only inside the content of one private or secret group.

A test that finds one of them in a result seen by a non-member has found a leak.
"""

from __future__ import annotations

CANARIES: dict[str, dict[str, object]] = {
    "secret": {"group": "g-codir", "words": ["zorbaflux", "quintarel"]},
    "secret_document": {
        "group": "g-codir",
        "document": "codir/note-strategique-2026.docx",
        "words": ["draxomel"],
    },
    "private": {"group": "g-horizon", "words": ["brundelac", "ombrivane"]},
    "private_document": {
        "group": "g-horizon",
        "document": "horizon/plan-de-bascule.md",
        "words": ["vellimorte"],
    },
    "guest_shared": {"group": "g-kestrel", "words": ["kessivor", "plumtacle"]},
}


def canary_groups() -> dict[str, str]:
    """Each canary word and the only group whose content may contain it."""
    return {
        word: str(spec["group"])
        for spec in CANARIES.values()
        for word in spec["words"]  # type: ignore[attr-defined]
    }

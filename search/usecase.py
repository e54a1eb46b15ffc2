"""The search use case, once: what the JSON API, the search page and the CLI each do with a
query a person typed.

Search within the viewer's scope, cut the page, log the search (first page only), suggest a
spelling when little was found, count the facets, extract an answer; each caller only
reads its parameters and shows the :class:`SearchPage`.  The callers differ in a few
numbers, which :class:`SearchRequest` carries: how many results a page has, how many the
engine may rank at most, how far page 1 reads ahead for the answer's passages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from search.answers import Answer, extract_answer
from search.engine import Hit
from search.scope import Scope


@dataclass(frozen=True)
class SearchRequest:
    """One search a person made, and what its caller shows of it."""

    query: str
    mode: str = "hybrid"
    page: int = 1
    per_page: int = 10
    window: int | None = None  # the most results ranked (None: as many as the pages need)
    read_ahead: int = 0  # results page 1 retrieves at least (the answer's passages)
    facets: bool = True
    facets_of_shown: bool = True  # count the retrieved results the lexical side missed
    answer: bool = False

    @property
    def start(self) -> int:
        return (self.page - 1) * self.per_page

    @property
    def end(self) -> int:
        return self.start + self.per_page


@dataclass(frozen=True)
class SearchPage:
    """What a search found, for one page of it."""

    request: SearchRequest
    searched: list[Hit]  # every result retrieved (past the page when page 1 reads ahead)
    ranked: list[Hit]  # the results up to the end of this page
    search_id: int  # for click-through (0: not logged)
    suggestion: str | None
    facets: dict[str, Any] = field(default_factory=dict)
    answer: Answer | None = None
    more: bool = False
    corrected: dict[str, str] = field(default_factory=dict)  # typed -> also searched

    @property
    def as_typed(self) -> str:
        """The query with the corrected words quoted, which searches them as typed."""
        query = self.request.query
        for word in self.corrected:
            for match in re.finditer(rf"(?<![\w-]){re.escape(word)}(?![\w-])", query):
                if query.count('"', 0, match.start()) % 2 == 0:  # outside a phrase
                    query = f'{query[:match.start()]}"{word}"{query[match.end():]}'
                    break
        return query

    @property
    def hits(self) -> list[Hit]:
        """This page's results."""
        return self.ranked[self.request.start:]


def run_search(scope: Scope, request: SearchRequest) -> SearchPage:
    """Search as ``scope`` may read, one page of it, logged when it is the first page.

    Raises ``QuerySyntaxError`` (a 400) for a query that cannot be read."""
    query, end, first = request.query, request.end, request.page == 1
    wanted = max(end, request.read_ahead) if first else end
    limit = min(wanted, request.window) if request.window is not None else wanted
    searched = scope.search(query, mode=request.mode, limit=limit)
    ranked = searched[:end]
    search_id = scope.record_search(query, ranked, request.mode) if first else 0
    corrected = scope.corrections(query)
    suggestion = scope.suggest(query) if len(ranked) < 3 and not corrected else None
    answer = (extract_answer(scope, query, searched)
              if first and request.answer else None)
    more = (len(searched) > end if wanted > end else len(ranked) == end) and (
        request.window is None or end < request.window)
    shown = searched if request.facets_of_shown else []
    facets = scope.facets(query, shown=shown) if request.facets else {}
    return SearchPage(request, searched, ranked, search_id, suggestion, facets, answer, more,
                      corrected)

"""Query -> ranked hits the viewer may read.

Public surface: :class:`Searcher` (open a data folder), :class:`Scope` (what one
viewer may read: ``searcher.scope(viewer)``, then ``search``, ``facets``, ``suggest``,
``similar``, ``item``), the :class:`Hit` record, and the fusion registry.
"""

from search.engine import MODES, Hit, Searcher
from search.fusion import FUSIONS, fuse
from search.query import ParsedQuery, QuerySyntaxError, parse_query
from search.scope import Scope

__all__ = ["FUSIONS", "MODES", "Hit", "ParsedQuery", "QuerySyntaxError", "Scope", "Searcher",
           "fuse", "parse_query"]

"""Query -> ranked hits the viewer may read.

Public surface: :class:`Searcher` (open a data folder, then ``search``), the
:class:`Hit` record, and the fusion registry.
"""

from search.engine import MODES, Hit, Searcher
from search.fusion import FUSIONS, fuse
from search.query import ParsedQuery, QuerySyntaxError, parse_query

__all__ = ["FUSIONS", "MODES", "Hit", "ParsedQuery", "QuerySyntaxError", "Searcher", "fuse",
           "parse_query"]

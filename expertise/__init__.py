"""Who knows what: people ranked by demonstrated expertise, with the evidence.

Public surface: :class:`ExpertFinder` (built on a :class:`search.Searcher`), the
:class:`Expert` and :class:`Evidence` records, :func:`plain_query` for pasted
text, and the scorer registry (:data:`SCORERS`, :data:`WEIGHTINGS`).
"""

from expertise.finder import Evidence, Expert, ExpertFinder, plain_query
from expertise.people import PersonPage, Topic
from expertise.routing import Routing
from expertise.scoring import SCORERS, WEIGHTINGS

__all__ = ["SCORERS", "WEIGHTINGS", "Evidence", "Expert", "ExpertFinder", "PersonPage", "Routing",
           "Topic", "plain_query"]

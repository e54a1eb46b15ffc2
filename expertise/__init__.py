"""Who knows what: people ranked by demonstrated expertise, with the evidence.

Public surface: :class:`ExpertFinder` (built on a :class:`search.Searcher`; experts,
person pages, routing, topics, each for a viewer's :class:`search.Scope`), its records
(:class:`Expert`, :class:`Evidence`, :class:`PersonPage`, :class:`Routing`, :class:`Topic`,
:class:`TopicPage`), :func:`plain_query` for pasted text, the scorer registry, and the
weekly expert digests (:func:`build_digest`, :class:`Digest`, :class:`DigestEntry`).
"""

from expertise.digest import Digest, DigestEntry, build_digest
from expertise.finder import AnyViewer, ExpertFinder
from expertise.people import DemonstratedTopic, PersonPage
from expertise.records import Evidence, Expert, plain_query
from expertise.routing import Routing
from expertise.scoring import SCORERS, WEIGHTINGS
from expertise.topics import Coverage, Topic, TopicPage, TopicStore, topic_from_dict

__all__ = ["SCORERS", "WEIGHTINGS", "AnyViewer", "Coverage", "DemonstratedTopic", "Digest",
           "DigestEntry", "Evidence", "Expert", "ExpertFinder", "PersonPage", "Routing", "Topic",
           "TopicPage", "TopicStore", "build_digest", "plain_query", "topic_from_dict"]

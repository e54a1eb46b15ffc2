"""Sources in, catalog and derived indexes out.

Public surface for the other packages: the catalog and its ``Item``, the
full-text and vector indexes, the encoder, and the indexing entry points.
"""

from indexer.catalog import Catalog, Item, acl_token
from indexer.distributed import RayIndexReport, index_sources_on_ray
from indexer.fulltext import FullTextIndex
from indexer.keyphrases import topic_key
from indexer.pipeline import (
    IndexReport,
    IndexWriteError,
    catalog_path,
    index_sources,
    load_encoder,
    rebuild,
    update_indexes,
)
from indexer.status import index_status
from indexer.vectors import VectorIndex

__all__ = [
    "Catalog",
    "FullTextIndex",
    "IndexReport",
    "IndexWriteError",
    "Item",
    "RayIndexReport",
    "VectorIndex",
    "acl_token",
    "catalog_path",
    "index_sources",
    "index_sources_on_ray",
    "index_status",
    "load_encoder",
    "rebuild",
    "topic_key",
    "update_indexes",
]

"""The quisait command line: the top of the chain, over indexer, search, expertise and web."""

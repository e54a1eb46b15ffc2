"""The no-copy file over a memoryview behaves as BytesIO for every read Whoosh makes."""

from __future__ import annotations

import io
import pickle

from hypothesis import given
from hypothesis import strategies as st

from indexer.whoosh_io import ViewFile

operations = st.lists(st.one_of(
    st.tuples(st.just("read"), st.integers(-1, 40)),
    st.tuples(st.just("readline"), st.integers(-1, 40)),
    st.tuples(st.just("seek"), st.integers(0, 60)),
    st.tuples(st.just("seek_cur"), st.integers(-10, 10)),
    st.tuples(st.just("seek_end"), st.integers(-30, 0)),
    st.tuples(st.just("tell"), st.just(0)),
), max_size=30)


@given(st.binary(max_size=50).map(lambda b: b.replace(b"\r", b"\n")), operations)
def test_view_file_reads_as_bytesio(data, steps):
    expected, found = io.BytesIO(data), ViewFile(memoryview(data))
    for name, value in steps:
        if name == "seek":
            results = expected.seek(value), found.seek(value)
        elif name == "seek_cur":
            target = max(0, expected.tell() + value)
            results = expected.seek(target), found.seek(value, io.SEEK_CUR)
        elif name == "seek_end":
            target = max(0, len(data) + value)
            results = expected.seek(target), found.seek(value, io.SEEK_END)
        else:
            results = getattr(expected, name)(*(() if name == "tell" else (value,))), \
                getattr(found, name)(*(() if name == "tell" else (value,)))
        assert results[0] == results[1], (name, value)
    assert list(io.BytesIO(data)) == list(ViewFile(memoryview(data)))


def test_a_pickle_loads_from_a_view():
    payload = pickle.dumps({"terms": list(range(100)), "name": "segment"})
    assert pickle.load(ViewFile(memoryview(payload))) == pickle.loads(payload)


def test_segment_ids_stay_unique_when_random_is_seeded(tmp_path):
    """Searchers share what they read of a segment by its id; a seeded ``random``
    (Hypothesis seeds it) must not give two indexes the same ids."""
    import random

    from indexer.fulltext import FullTextIndex

    ids = []
    for name in ("a", "b"):
        random.seed(7)
        index = FullTextIndex.open(tmp_path / name)
        writer = index.index.writer()
        ids.append(writer.newsegment.segment_id())
        writer.cancel()
    assert ids[0] != ids[1]

"""Searches and expertise on Ray Serve replicas, behind the same Flask API (``serving = "ray"``).

Each replica of the ``QuisaitReplica`` deployment opens the shared data folder itself and
runs the heavy read calls (:data:`CALLS`) for whichever web process sends them; the viewer
goes with each call (a scope travels as its viewer's id) and the replica builds their scope
from its own catalog, so permissions are applied inside the replica, as locally.
The web process keeps its own Searcher and ExpertFinder (a :class:`SearcherPool`) for the
rest: the viewer's lookup, a post's catalog rows, curation, topics and the query log, so the
writes stay in the one process that writes.

A replica's Searchers follow the data folder (Whoosh segments, the shared vector index, the
catalog), so a generation the writer commits is answered by every replica from its next
call, without a restart.  A call that a dying replica was running fails with an actor error
and is sent once more (Serve routes no more calls to a dead replica); Serve's controller
starts a replacement.  Ray is imported inside functions only: the web layer imports this
module when ``serving = "ray"``, and nothing else needs Ray.
"""

from __future__ import annotations

import asyncio
import atexit
import hashlib
import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.errors import ConfigError, QuisaitError
from core.settings import Settings
from indexer.raylink import LOOPBACK, check_reachable, host_of, loopback_node, project_path_env
from search import Scope
from web.errors import NotReady
from web.pool import SearcherPool

log = logging.getLogger(__name__)

APP_PREFIX = "quisait-"  # then a digest of the data folder's path: one deployment per folder
DEPLOYMENT = "QuisaitReplica"
# the read calls a replica runs; anything else is done by the web process
CALLS = {
    "scope": frozenset({"search", "facets", "suggest", "corrections", "similar"}),
    "finder": frozenset({"experts", "person", "route", "route_post", "unanswered", "topic",
                         "candidate_topics"}),
}
REPLICA_CPUS = 0.5  # for scheduling only: two replicas and their replacement fit on 2 cores
REPLICA_CALLS = 4  # calls a replica runs at once (its threads, each with its Searcher)
HEALTH_CHECK_SECONDS = 2.0  # how soon a hung replica is noticed (a dead one: at once)
CALL_SECONDS = 60.0
LOCAL_OBJECT_STORE = 128 * 1024 * 1024  # calls and answers are small
# Test-only (unset in production): a folder where one replica call whose arguments hold
# HOLD_WORD waits, so that a test knows a call is in flight on the replica it kills.  Not
# QUISAIT_-prefixed: it is no setting, and the web process passes it on only if it is set.
HOLD_ENV = "TEST_QUISAIT_REPLICA_HOLD"
HOLD_WORD = "quisaitheldcall"


@dataclass(frozen=True)
class Raised:
    """A quisait error a replica raised, carried as data: some take other arguments than
    their ``args`` (``QuerySyntaxError(message, position)``) and would not unpickle."""

    kind: type[QuisaitError]
    args: tuple[Any, ...]
    attributes: dict[str, Any]

    @classmethod
    def of(cls, error: QuisaitError) -> Raised:
        return cls(type(error), error.args, dict(vars(error)))

    def rebuilt(self) -> QuisaitError:
        error = self.kind.__new__(self.kind)
        error.args = self.args
        vars(error).update(self.attributes)
        return error


@dataclass(frozen=True)
class Reply:
    """A replica's answer to one call: the value or the error, and which replica answered."""

    replica: str
    value: Any = None
    error: Raised | None = None


class Replica:
    """One replica: Searchers over the shared data folder and the allowed read calls on
    them.  Serve runs a sync method on a thread that ends with the call, and a Searcher's
    SQLite connections may not leave the thread that opened them: calls therefore run on
    this replica's own threads, each keeping its Searcher (reopened when an index is
    rebuilt) from call to call."""

    def __init__(self, settings: Settings, encoder_factory: Callable[[Settings], Any]) -> None:
        import ray

        import search.engine

        node = ray.util.get_node_ip_address()
        if node in LOOPBACK:
            _inter_deployment_server_on_loopback()
        # queries are encoded as in the web process (tests and benchmarks replace the model)
        search.engine.load_encoder = encoder_factory  # type: ignore[assignment]
        self.name = f"{os.getpid()}@{node}"
        self.pool = SearcherPool(settings)
        self.threads = ThreadPoolExecutor(REPLICA_CALLS, thread_name_prefix="replica")
        self.opened: set[int] = set()  # the Searchers calls ran on (ids: they are kept)
        self.hold = os.environ.get(HOLD_ENV) or None  # test-only; see _held
        try:  # load the model and the vector index before the first call
            self.threads.submit(self.pool.finder).result()
        except QuisaitError as exc:  # not indexed yet: calls answer 503 until it is
            log.warning("replica %s started before the indexes: %s", self.name, exc)

    async def call(self, target: str, method: str, args: tuple[Any, ...],
                   kwargs: dict[str, Any]) -> Reply:
        """``method(*args, **kwargs)`` of a Searcher or ExpertFinder of this replica."""
        if method not in CALLS.get(target, ()):
            raise ValueError(f"{target}.{method} is not a replica call")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.threads, self._run, target, method, args, kwargs)

    def _run(self, target: str, method: str, args: tuple[Any, ...],
             kwargs: dict[str, Any]) -> Reply:
        if self.hold is not None:
            self._held(self.hold, [*args, *kwargs.values()])
        try:
            searcher = self.pool.get()
            if target == "scope":  # the first argument is the viewer's id
                owner: Any = searcher.scope(args[0])
                args = args[1:]
            else:
                owner = self.pool.finder()
            self.opened.add(id(searcher))
            return Reply(self.name, value=getattr(owner, method)(*args, **kwargs))
        except QuisaitError as exc:  # a 400, 404 or 503 for the web process to answer
            return Reply(self.name, error=Raised.of(exc))

    def whoami(self) -> dict[str, Any]:
        """``pid@node`` of this replica, and how many Searchers its calls have used."""
        return {"replica": self.name, "searchers": len(self.opened)}

    def _held(self, folder: str, values: list[Any]) -> None:
        """Test-only (with ``HOLD_ENV`` set): the first call given ``HOLD_WORD`` in this
        folder writes ``held`` (which replica it runs on, no call data) and waits until
        ``released`` exists (at most ``CALL_SECONDS``); later calls (its retry) go on."""
        if not any(isinstance(value, str) and HOLD_WORD in value for value in values):
            return
        import ray

        where = {"replica": self.name, "actor": ray.get_runtime_context().get_actor_name()}
        with tempfile.NamedTemporaryFile("w", dir=folder, delete=False) as draft:
            json.dump(where, draft)
        try:
            os.link(draft.name, os.path.join(folder, "held"))  # fails if a call holds it
        except FileExistsError:
            return
        finally:
            os.unlink(draft.name)
        log.warning("replica %s holds a marked call (%s is set: test only)", self.name, HOLD_ENV)
        released, ends = os.path.join(folder, "released"), time.monotonic() + CALL_SECONDS
        while not os.path.exists(released) and time.monotonic() < ends:
            time.sleep(0.05)


def _inter_deployment_server_on_loopback() -> None:
    """Serve binds each replica's inter-deployment gRPC server to every interface ("[::]:0",
    with no setting); on a node at 127.0.0.1, bind it there like the rest of Ray."""
    from ray.serve._private import replica

    add_port = getattr(replica, "add_port_to_grpc_server", None)
    if add_port is None:  # another Ray version: nothing to adjust
        return

    def on_loopback(server: Any, address: str) -> Any:
        return add_port(server, address.replace("[::]", "127.0.0.1"))

    replica.add_port_to_grpc_server = on_loopback


# -- the web process's side -----------------------------------------------------------------


@dataclass
class Replicas:
    """The deployment seen from the web process: calls, each retried once on a replica's
    death, and what was started for it (undone by :meth:`shutdown`)."""

    handle: Any
    app: str
    started_ray: bool
    last: threading.local = field(default_factory=threading.local)
    _closed: bool = False

    def call(self, target: str, method: str, args: tuple[Any, ...],
             kwargs: dict[str, Any]) -> Any:
        """The value of ``target.method(*args, **kwargs)`` on a replica (its error raised
        here); ``NotReady`` (503) if no replica could answer.  A scope among the arguments
        is sent as its viewer's id: the replica builds the scope from its catalog."""
        args = tuple(_sent(arg) for arg in args)
        kwargs = {name: _sent(value) for name, value in kwargs.items()}
        reply = self._send(target, method, args, kwargs)
        self.last.replica = reply.replica
        if reply.error is not None:
            raise reply.error.rebuilt()
        return reply.value

    def _send(self, *request: Any) -> Reply:
        from ray.exceptions import RayActorError

        try:
            return self._send_once(*request)
        except RayActorError as exc:  # the replica died (or became unreachable) meanwhile
            log.warning("a search replica failed during %s.%s; retrying once: %s",
                        request[0], request[1], exc)
        try:
            return self._send_once(*request)
        except RayActorError as exc:
            raise NotReady(f"two search replicas failed: {exc}") from exc

    def _send_once(self, *request: Any) -> Reply:
        from ray.serve.exceptions import RayServeException

        response = self.handle.call.remote(*request)
        try:
            return response.result(timeout_s=CALL_SECONDS)
        except TimeoutError as exc:
            response.cancel()
            raise NotReady(f"no search replica answered in {CALL_SECONDS:g} s") from exc
        except RayServeException as exc:  # deployment unavailable, back pressure
            raise NotReady(f"the search replicas are unavailable: {exc}") from exc

    def shutdown(self) -> None:
        """Delete the deployment, and stop Ray if it was started for it."""
        import ray
        from ray import serve

        if self._closed or not ray.is_initialized():
            return
        self._closed = True
        serve.delete(self.app)
        if self.started_ray:
            serve.shutdown()
            ray.shutdown()


def _sent(value: Any) -> Any:
    """What a call argument travels as: a scope as its viewer's id, the rest as it is."""
    return value.viewer_id if isinstance(value, Scope) else value


@dataclass(frozen=True)
class RemoteScope(Scope):
    """A :class:`search.Scope` whose searches, facets, suggestions and similar items run on
    the replicas (as the same viewer); single items and the query log stay local."""

    replicas: Replicas | None = field(default=None, repr=False, compare=False)

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        assert self.replicas is not None
        return self.replicas.call("scope", method, (self.viewer_id, *args), kwargs)

    def search(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("search", *args, **kwargs)

    def facets(self, query: Any, shown: Any = ()) -> Any:
        return self._call("facets", query, shown=list(shown))

    def suggest(self, query: str) -> str | None:
        return self._call("suggest", query)

    def corrections(self, query: Any) -> Any:
        return self._call("corrections", query)

    def similar(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("similar", *args, **kwargs)


class _Remote:
    """Forwards the calls named in ``forwarded`` to the replicas, all else to ``local``."""

    target = ""
    forwarded: frozenset[str] = frozenset()

    def __init__(self, local: Any, replicas: Replicas) -> None:
        self._local = local
        self._replicas = replicas

    def __getattr__(self, name: str) -> Any:
        if name in self.forwarded:
            target, replicas = self.target, self._replicas
            return lambda *args, **kwargs: replicas.call(target, name, args, kwargs)
        return getattr(self._local, name)


class RemoteSearcher(_Remote):
    """A :class:`search.Searcher` whose scopes' searches run on the replicas."""

    def scope(self, viewer: Any) -> RemoteScope:
        local = self._local.scope(viewer)
        return RemoteScope(local.viewer, local.readable, local.visible, local.searcher,
                           self._replicas)

    def search(self, query: Any, viewer: Any, *args: Any, **kwargs: Any) -> Any:
        """:meth:`search.Searcher.search`: the viewer's scope's search, on the replicas."""
        return self.scope(viewer).search(query, *args, **kwargs)


class RemoteFinder(_Remote):
    """An :class:`expertise.ExpertFinder` whose rankings and pages run on the replicas;
    ``searcher`` is the matching :class:`RemoteSearcher`."""

    target = "finder"
    forwarded = CALLS["finder"]

    def __init__(self, local: Any, searcher: RemoteSearcher, replicas: Replicas) -> None:
        super().__init__(local, replicas)
        self.searcher = searcher


class ReplicaPool:
    """:class:`SearcherPool`'s interface, giving proxies whose read calls run on replicas."""

    def __init__(self, settings: Settings, replicas: Replicas) -> None:
        self.settings = settings
        self.replicas = replicas
        # what stays here needs no model or vector index: the replicas have them
        self.local = SearcherPool(settings.replace(embeddings=False))

    @classmethod
    def open(cls, settings: Settings) -> ReplicaPool:
        """Join ``settings.ray_address`` (or start Ray on 127.0.0.1) and deploy
        ``settings.replicas`` replicas over ``settings.data_dir``; undone at exit."""
        import search.engine

        settings = settings.replace(data_dir=Path(settings.data_dir).resolve())
        replicas = deploy(settings, search.engine.load_encoder)  # looked up now: tests replace it
        atexit.register(replicas.shutdown)
        return cls(settings, replicas)

    def get(self) -> RemoteSearcher:
        return RemoteSearcher(self.local.get(), self.replicas)

    def finder(self) -> RemoteFinder:
        local = self.local.finder()
        return RemoteFinder(local, RemoteSearcher(local.searcher, self.replicas), self.replicas)

    def readiness(self) -> dict[str, Any]:
        """Replicas running (``NotReady`` if none is: searches would fail)."""
        from ray import serve

        try:
            status = serve.status().applications[self.replicas.app]
            states = status.deployments[DEPLOYMENT].replica_states
            running = sum(n for state, n in states.items()
                          if getattr(state, "value", state) == "RUNNING")
        except Exception as exc:  # Ray unreachable, the application deleted: not ready
            raise NotReady(f"the search replicas cannot be reached: {exc}") from exc
        if not running:
            raise NotReady("no search replica is running")
        return {"replicas": running, "replicas_wanted": self.settings.replicas}

    def last_replica(self) -> str | None:
        """``pid@node`` of the replica that answered this thread's last call."""
        return getattr(self.replicas.last, "replica", None)

    def close(self) -> None:
        self.local.close()

    def shutdown(self) -> None:
        self.local.close()
        self.replicas.shutdown()


def deploy(settings: Settings, encoder_factory: Callable[[Settings], Any]) -> Replicas:
    """Start (or join) Ray and Serve, and run the replicas; a handle to them."""
    from ray import serve

    app = app_name(settings)
    with _ray_session(settings.ray_address) as started:
        serve.start(proxy_location="Disabled")  # handles only: no HTTP or gRPC proxy listens
        deployment = serve.deployment(
            name=DEPLOYMENT, num_replicas=settings.replicas,
            max_ongoing_requests=REPLICA_CALLS, health_check_period_s=HEALTH_CHECK_SECONDS,
            logging_config={"enable_access_log": False},  # a line per call is noise here
            ray_actor_options={"num_cpus": REPLICA_CPUS,
                               "runtime_env": {"env_vars": _replica_env()}})(Replica)
        handle = serve.run(deployment.bind(settings, encoder_factory), name=app,
                           route_prefix=None)
    return Replicas(handle, app, started)


def app_name(settings: Settings) -> str:
    """The Serve application of a data folder: a second server over the same folder (or a
    restart after a crash) replaces it; servers of other folders leave it alone."""
    digest = hashlib.sha1(str(Path(settings.data_dir).resolve()).encode()).hexdigest()
    return APP_PREFIX + digest[:12]


@contextmanager
def _ray_session(address: str) -> Iterator[bool]:
    """Ray initialised (True if by this call); shut down again if what follows fails."""
    import ray

    if ray.is_initialized():  # the caller's session (a benchmark, a notebook)
        yield False
        return
    options: dict[str, Any] = {"configure_logging": False}
    if address:
        check_reachable(address, "ray_address")
        options.update(address=address)
    else:
        options.update(address="local", _node_ip_address="127.0.0.1", include_dashboard=False,
                       object_store_memory=LOCAL_OBJECT_STORE)
    try:
        with loopback_node(not address or host_of(address) in LOOPBACK):
            ray.init(**options)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise ConfigError(f"cannot start or join Ray at {address or 'a local instance'}: "
                          f"{exc}") from None
    try:
        yield True
    except BaseException:
        ray.shutdown()
        raise


def _replica_env() -> dict[str, str]:
    """The replicas import this project from where this process does (same path on every
    node, like the data folder); ``HOLD_ENV`` goes with it only if a test set it."""
    hold = os.environ.get(HOLD_ENV)
    return {**project_path_env(), **({HOLD_ENV: hold} if hold else {})}

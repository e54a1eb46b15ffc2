"""Joining or starting Ray on this machine's terms, for the Ray indexer and the serving
replicas: fail fast on an address where nothing listens, stay on 127.0.0.1 for a loopback
cluster, and let Ray's worker processes import this project.  Ray is imported lazily.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from core.errors import ConfigError

LOOPBACK = ("127.0.0.1", "localhost", "::1")
CONNECT_SECONDS = 5


def host_of(address: str) -> str:
    return address.rsplit(":", 1)[0].strip("[]")


def check_reachable(address: str, what: str = "--address", advice: str = "") -> None:
    """Fail at once if nothing listens at ``address`` (Ray itself retries for minutes);
    ``what`` names the option or setting, ``advice`` ends the message."""
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise ConfigError(f"{what} {address!r}: expected HOST:PORT, the head node's GCS "
                          "address that `ray start --head` prints")
    try:
        socket.create_connection((host_of(address), int(port)), timeout=CONNECT_SECONDS).close()
    except OSError as exc:
        raise ConfigError(f"no Ray cluster answers at {address} ({exc}){advice}") from None


@contextmanager
def loopback_node(enabled: bool) -> Iterator[None]:
    """Keep 127.0.0.1 as this node's address while ``ray.init`` runs.

    Ray replaces a loopback address by the machine's outward IP (a guess at what other
    nodes reach): a cluster listening on 127.0.0.1 only could not be joined, and a started
    instance would listen on every interface.  Switching off Ray's multi-machine mode for
    the call keeps the loopback address."""
    from ray._private import ray_constants  # no public switch for this

    saved = ray_constants.ENABLE_RAY_CLUSTER
    ray_constants.ENABLE_RAY_CLUSTER = saved and not enabled
    try:
        yield
    finally:
        ray_constants.ENABLE_RAY_CLUSTER = saved


def project_path_env() -> dict[str, str]:
    """``PYTHONPATH`` for Ray's workers: this project from where this process has it (the
    same path on every node)."""
    root = str(Path(__file__).resolve().parents[1])
    return {"PYTHONPATH": os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH", ""))
                                          if p)}

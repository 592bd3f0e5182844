"""The API's own OpenAPI document, consulted at run time for what a request's path offers.

The document is the contract clients read, so the answers built from it (a 405's ``Allow``, a
refused unknown query parameter) say exactly what the document says. Each path template
(``/api/v1/licensees/{licence}/tags/{uid}``) is compiled once per app into a pattern whose
parameters match one path segment; a URL may match several (``/tags/received`` is also a
``/tags/{uid}``), and then each counts.
"""

import re
from typing import Any

from fastapi import Request

Operations = dict[str, dict[str, Any]]  # method (lower case) -> OpenAPI operation


def _table(request: Request) -> list[tuple[re.Pattern[str], Operations]]:
    table: list[tuple[re.Pattern[str], Operations]] | None = getattr(
        request.app.state, "openapi_paths", None
    )
    if table is None:
        table = [
            (re.compile("^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(path)) + "$"), ops)
            for path, ops in request.app.openapi()["paths"].items()
        ]
        request.app.state.openapi_paths = table
    return table


def operations(request: Request) -> list[Operations]:
    """The operations of every path template the request's path matches."""
    path = request.url.path
    return [ops for pattern, ops in _table(request) if pattern.match(path)]


def methods(request: Request) -> list[str]:
    """Every method the document gives the request's path, upper case, sorted."""
    return sorted({method.upper() for ops in operations(request) for method in ops})


def _query_parameters(request: Request) -> list[dict[str, Any]]:
    method = request.method.lower()
    return [
        parameter
        for ops in operations(request)
        for parameter in ops.get(method, {}).get("parameters", [])
        if parameter.get("in") == "query"
    ]


def query_names(request: Request) -> frozenset[str]:
    """The query parameters the document gives the request's method on its path."""
    return frozenset(parameter["name"] for parameter in _query_parameters(request))


def _is_array(schema: dict[str, Any]) -> bool:
    if schema.get("type") == "array":
        return True
    return any(_is_array(s) for s in schema.get("anyOf", []) + schema.get("oneOf", []))


def repeatable_query_names(request: Request) -> frozenset[str]:
    """The query parameters the document lets a client give more than once (arrays)."""
    return frozenset(
        parameter["name"]
        for parameter in _query_parameters(request)
        if _is_array(parameter.get("schema", {}))
    )

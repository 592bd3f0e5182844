"""Error answers of the API: one JSON shape (:class:`Problem`) for every failure.

- 401 not signed in / session ended; 403 signed in but not allowed; 404 no such thing *for this
  caller* (another licensee's item is 404, never 403: that would confirm it exists); 409
  conflict; 422 invalid request (``errors`` names each field and why) or an event the rules
  rejected (``violations`` with rule ID, citation and message); 429 too many failed log-ins
  (``Retry-After`` header).

The request's values are never echoed back in an error: a password sent in the wrong field must
not come back in a response or a log.
"""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from schemas.acks import Ack, Violation
from server.accounts import errors as acc
from server.accounts.passwords import WeakPassword
from server.api import contract


class FieldError(BaseModel):
    location: str  # body, query, path, header or cookie
    field: str  # dotted path inside it, e.g. "uids.0"; empty for the whole body
    message: str


class Problem(BaseModel):
    """What went wrong, for a person: ``detail`` always; the other fields when they apply."""

    detail: str
    errors: list[FieldError] = []
    event_id: str | None = None
    violations: list[Violation] = []


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "description": text}
    for status, text in (
        (400, "The body is not JSON (or not UTF-8)"),
        (401, "Not signed in, or the session ended"),
        (403, "Not allowed for this account"),
        (404, "Not found (or not visible to this account)"),
        (422, "Invalid request, or the event was rejected by the rules"),
    )
}


class ApiError(Exception):
    status = 400

    def problem(self) -> Problem:
        return Problem(detail=str(self))


class NotFound(ApiError):
    status = 404


class Conflict(ApiError):
    status = 409


class Unavailable(ApiError):
    """Something the server needs for this answer is not installed (a font, say)."""

    status = 503


class Invalid(ApiError):
    """A value the request model could not check by itself (e.g. a date range)."""

    status = 422

    def __init__(self, location: str, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.error = FieldError(location=location, field=field, message=message)

    def problem(self) -> Problem:
        return Problem(detail=str(self), errors=[self.error])


class EventRejected(ApiError):
    """The event was recorded as rejected (the log keeps the attempt); nothing changed."""

    status = 422

    def __init__(self, ack: Ack) -> None:
        ids = ", ".join(v.rule_id for v in ack.violations)
        super().__init__(f"rejected: {ids}: " + "; ".join(v.message for v in ack.violations))
        self.ack = ack

    def problem(self) -> Problem:
        return Problem(
            detail=str(self), event_id=self.ack.event_id, violations=list(self.ack.violations)
        )


_ACCOUNT_STATUS: tuple[tuple[type[acc.AccountsError], int], ...] = (
    (acc.AccountInvalid, 422),
    (acc.AccountConflict, 409),
    (acc.AccountNotFound, 404),
    (acc.NotVisible, 404),
    (acc.BadCredentials, 401),
    (acc.NotSignedIn, 401),
    (acc.AccessRefused, 403),
    (acc.Forbidden, 403),
    (acc.SignInThrottled, 429),
)


def _json(status: int, problem: Problem, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(problem.model_dump(mode="json"), status_code=status, headers=headers)


def _account_error(_request: Request, err: Exception) -> JSONResponse:
    status = next((s for cls, s in _ACCOUNT_STATUS if isinstance(err, cls)), 400)
    headers: dict[str, str] = {}
    if isinstance(err, acc.SignInThrottled):
        headers["Retry-After"] = str(err.retry_after_s)
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return _json(status, Problem(detail=str(err)), headers)


def _api_error(_request: Request, err: Exception) -> JSONResponse:
    assert isinstance(err, ApiError)
    return _json(err.status, err.problem())


def _weak_password(_request: Request, err: Exception) -> JSONResponse:
    return _json(
        422,
        Problem(
            detail=str(err),
            errors=[FieldError(location="body", field="password", message=str(err))],
        ),
    )


def _invalid_request(_request: Request, err: Exception) -> JSONResponse:
    assert isinstance(err, RequestValidationError)
    found = []
    for e in err.errors():
        loc = [str(part) for part in e.get("loc", ())]
        location, path = (loc[0], loc[1:]) if loc else ("body", [])
        found.append(FieldError(location=location, field=".".join(path), message=e["msg"]))
    summary = "; ".join(f"{f.field or f.location}: {f.message}" for f in found)
    return _json(422, Problem(detail=f"invalid request: {summary}", errors=found))


def _http_error(request: Request, err: Exception) -> JSONResponse:
    """Starlette's and FastAPI's own refusals (a body that is not JSON: 400; a method the
    path does not have: 405) in the one shape. A 405's ``Allow`` lists every method of the
    path, not only those of the first route that matched it (Starlette's answer)."""
    assert isinstance(err, StarletteHTTPException)
    headers = dict(err.headers or {})
    detail = str(err.detail)
    if err.status_code == 400:
        detail = f"the request body is not valid JSON: {detail}"
    if err.status_code == 405:
        allowed = contract.methods(request)
        if allowed:
            headers["Allow"] = ", ".join(allowed)
            detail = f"{request.method} is not allowed here; use {', '.join(allowed)}"
    return _json(err.status_code, Problem(detail=detail), headers)


def _declare_conflicts(app: FastAPI) -> None:
    """Every operation that changes something may find the record already changed (a user id
    taken, a loss already restored, a notification not yet resolvable): declare its 409."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            for operations in schema["paths"].values():
                for method, operation in operations.items():
                    if method in ("post", "put", "patch", "delete"):
                        operation["responses"].setdefault(
                            "409",
                            {
                                "description": "Conflicts with the record as it stands",
                                "content": {
                                    "application/json": {
                                        "schema": {"$ref": "#/components/schemas/Problem"}
                                    }
                                },
                            },
                        )
            app.openapi_schema = schema
        return app.openapi_schema

    # FastAPI documents replacing app.openapi to customise the schema; mypy sees a method.
    setattr(app, "openapi", openapi)  # noqa: B010


def install(app: FastAPI) -> None:
    """Register the handlers above on ``app`` and complete its OpenAPI document."""
    app.add_exception_handler(acc.AccountsError, _account_error)
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(WeakPassword, _weak_password)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    _declare_conflicts(app)

"""Typed path and query parameters shared by the routes.

Every string parameter has the pattern of the identifier it names (``schemas.ids``), so a value
with control characters, a NUL byte or an impossible length is refused with a 422 naming the
parameter before any query runs.
"""

from typing import Annotated

from fastapi import Path, Query
from pydantic import BaseModel, ConfigDict

from schemas.ids import (
    EVENT_ID_PATTERN,
    NAME_PATTERN,
    STATION_PATTERN,
    TAG_UID_PATTERN,
    USER_PATTERN,
)

UidPath = Annotated[str, Path(pattern=TAG_UID_PATTERN, description="A 24-character tag UID")]
EventIdPath = Annotated[str, Path(pattern=EVENT_ID_PATTERN, description="A UUID or ULID")]
UserPath = Annotated[str, Path(pattern=USER_PATTERN, description="A user id (log-on)")]
StationPath = Annotated[str, Path(pattern=STATION_PATTERN, description="A station id")]
# Batch and harvest batch names may contain '/', so they are matched as the path's tail.
NamePath = Annotated[str, Path(pattern=NAME_PATTERN, max_length=100)]

NameQuery = Annotated[str | None, Query(pattern=NAME_PATTERN, max_length=100)]
UidQuery = Annotated[str | None, Query(pattern=TAG_UID_PATTERN)]
UserQuery = Annotated[str | None, Query(pattern=USER_PATTERN)]
StationQuery = Annotated[str | None, Query(pattern=STATION_PATTERN)]


class BodyIn(BaseModel):
    """A request body the API reads: a field it does not know is refused (422 naming it), not
    dropped, so a misspelt field never passes as a default."""

    model_config = ConfigDict(extra="forbid")

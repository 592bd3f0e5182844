"""A UID's history: every event of one licensee that names it, accepted or rejected.

An event names a UID when its JSON body holds it as a string (``"1A4F..."``: UIDs are
``[0-9A-Z]{24}``, so the text match cannot be fooled by LIKE wildcards), or when it is a
``tags.received`` roll (``first``..``last``) whose range covers it. The body match scans the
licensee's log; it is the trade for keeping the log a single append-only table.
"""

import json

import sqlalchemy as sa

from server.api.routes.events import EventOut, event_out, of_events
from server.db.core import table_of
from server.db.tables import EventLog

L = table_of(EventLog)


def uid_history(conn: sa.Connection, licence: str, uid: str) -> list[EventOut]:
    """Events of ``licence`` naming ``uid``, oldest first."""
    rows = conn.execute(
        of_events(licence)
        .where(sa.or_(L.c.body.contains(f'"{uid}"', autoescape=True), L.c.kind == "tags.received"))
        .order_by(L.c.position)
    ).mappings()
    found = []
    for r in rows:
        if f'"{uid}"' in r["body"] or _in_roll(json.loads(r["body"])["payload"], uid):
            found.append(event_out(r))
    return found


def _in_roll(payload: dict[str, object], uid: str) -> bool:
    """True when ``payload`` is a roll ``first``..``last`` that covers ``uid`` (the rule of
    :func:`schemas.events.tag_range`: a shared prefix, then counting trailing digits)."""
    first, last = payload.get("first"), payload.get("last")
    if not isinstance(first, str) or not isinstance(last, str) or len(uid) != len(first):
        return False
    digits = 0
    while digits < len(first) and first[-1 - digits].isdigit() and last[-1 - digits].isdigit():
        digits += 1
    cut = len(first) - digits
    if digits == 0 or uid[:cut] != first[:cut] or last[:cut] != first[:cut]:
        return False
    tail = uid[cut:]
    return tail.isdigit() and int(first[cut:]) <= int(tail) <= int(last[cut:])

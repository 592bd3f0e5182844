"""Corrections through the state's API (docs/sync.md, Mapping: ``record.corrected``).

A ``record.corrected`` whose replacement is a move or a phase change of plants (Metrc), or a
move (BioTrack: it has no phase), is planned as ``correct_plants``: the replacement sent as a
move (Metrc PUT ``/plants/v2/location``, BioTrack ``plant_move``) or a phase change (Metrc PUT
``/plants/v2/growthphase``) of its own. That makes the state's record what ours is now only
if nothing after the corrected event changed those plants, so :func:`check`, at sending time
(every earlier call of the licensee is done by then: calls go in log order), holds the call
for a person (``by_hand``, the same notification as ``correct_by_hand``, saying why) when

- the corrected event (or, for a correction of a correction, what that one said) is not the
  same kind about the same plants as the replacement (a correction that adds or drops plants
  cannot say where the dropped ones should be);
- an accepted event between the corrected one and the correction concerns any of the plants
  (:func:`server.statesync.depends.concerns`: a later move, harvest, destruction or an earlier
  correction; the replacement is then not the plants' current state).

What the state itself refuses (Metrc: a phase going back from Flowering to Vegetative, say)
is a refusal like any other: a notification with its words. The date Metrc is given is the
correction's (the day its record was put right).
"""

from typing import Any

import sqlalchemy as sa

from schemas.events import EventEnvelope, RecordCorrected
from server.statesync.calls import Answer, by_hand
from server.statesync.depends import concerns
from server.statesync.queue import LOG, Objects

__all__ = ["check"]


def _why(objects: Objects, req: dict[str, Any]) -> str | None:
    """Why ``req`` cannot go through the API, or None when it can."""
    found = {
        r.event_id: (r.position, r.body)
        for r in objects.conn.execute(
            sa.select(LOG.c.event_id, LOG.c.position, LOG.c.body).where(
                LOG.c.event_id.in_([req["corrects"], req["event_id"]])
            )
        )
    }
    if req["corrects"] not in found or req["event_id"] not in found:
        return "the corrected event is not in this licensee's log"
    start, body = found[req["corrects"]]
    end = found[req["event_id"]][0]
    original = EventEnvelope.model_validate_json(body).payload
    if isinstance(original, RecordCorrected):  # a correction of a correction: what it said
        original = original.replacement
    uids = set(req["uids"])
    if original.kind != req["kind"] or set(getattr(original, "uids", [])) != uids:
        return "the correction changes which plants the event was about"
    plants = {f"plant:{u}" for u in uids}
    between = objects.conn.execute(
        sa.select(LOG.c.body).where(
            LOG.c.licence == objects.licence,
            LOG.c.outcome == "accepted",
            LOG.c.position > start,
            LOG.c.position < end,
        )
    ).scalars()
    for text in between:
        if concerns(EventEnvelope.model_validate_json(text)) & plants:
            return "the plants changed again after the corrected event"
    return None


def check(objects: Objects, plan: dict[str, Any], system: str) -> Answer | None:
    """None when the correction ``plan`` may go through ``system``'s API (its name as people
    write it); else raises ``by_hand`` with the reason."""
    why = _why(objects, plan)
    if why is not None:
        raise by_hand(plan, system, why)
    return None

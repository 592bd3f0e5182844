"""The invoice page's form for the purchaser's signature (SALES-INVOICE, CA 8401(i)): who
signed for the purchaser, when, and each pending item received or rejected with the reason.

:func:`acknowledgement` turns the submitted form into an ``invoice.acknowledged`` payload, or
raises :class:`Refused` naming the first thing that is wrong; the pipeline's rules
(TRANSFER-MANIFEST: the goods left, the items are the manifest's, each acknowledged once) then
decide it like any other event.

Form fields: ``signed_by``; ``signed_at`` as the browser's ``datetime-local`` value
(``YYYY-MM-DDTHH:MM``, on the premises' clock, :attr:`Invoice.timezone`); per pending item
``decision:UID`` (``accepted``, ``rejected`` or empty: not acknowledged now) and
``reason:UID`` (required for a rejection, at most 500 characters).
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from starlette.datastructures import FormData

from schemas.commerce import InvoiceAcknowledged, RejectedItem
from server.accounts.roles import LICENSEE_ROLES
from server.console.viewer import Viewer
from server.store.invoices import Invoice

LOCAL_MINUTE = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends


class Refused(ValueError):
    """The form is not an acknowledgement that can be recorded; the message says why."""


def may_record(viewer: Viewer, inv: Invoice) -> bool:
    """The seller's own staff (a user, administrator or account manager of the invoice's
    licensee), never a regulator."""
    return (
        not viewer.read_only
        and viewer.role in {r.value for r in LICENSEE_ROLES}
        and viewer.licences == (inv.licence,)
    )


def signed_at_default(now: datetime, zone: str) -> str:
    """``now`` on the premises' clock, as the form's ``datetime-local`` value."""
    return now.astimezone(ZoneInfo(zone)).strftime(LOCAL_MINUTE)


def _text(form: FormData, key: str) -> str:
    value = form.get(key)
    return value.strip() if isinstance(value, str) else ""


def _signed_at(form: FormData, zone: str, now: datetime) -> datetime:
    raw = _text(form, "signed_at")
    try:
        local = datetime.strptime(raw, LOCAL_MINUTE)
    except ValueError:
        raise Refused(
            f"the signing time {raw!r} is not a date and time (YYYY-MM-DDTHH:MM)"
        ) from None
    at = local.replace(tzinfo=ZoneInfo(zone))
    if at > now:
        raise Refused(f"the purchaser cannot have signed at {raw} ({zone}), later than now")
    return at


def acknowledgement(inv: Invoice, form: FormData, now: datetime) -> InvoiceAcknowledged:
    """The payload the form asks to record for ``inv``, decided at ``now``."""
    signed_by = _text(form, "signed_by")
    if signed_by == "":
        raise Refused("say who signed for the purchaser")
    signed_at = _signed_at(form, inv.timezone, now)
    pending = {line.uid for line in inv.lines if line.decision is None}
    accepted: list[str] = []
    rejected: list[RejectedItem] = []
    for key in form:
        if not key.startswith("decision:"):
            continue
        uid, decision = key.removeprefix("decision:"), _text(form, key)
        if decision == "":
            continue
        if uid not in pending:
            raise Refused(f"{uid} is not an item of invoice {inv.number} awaiting receipt")
        if decision == "accepted":
            accepted.append(uid)
        elif decision == "rejected":
            reason = _text(form, f"reason:{uid}")
            if reason == "":
                raise Refused(f"say why {uid} was rejected")
            if len(reason) > 500:
                raise Refused(f"the reason for rejecting {uid} is over 500 characters")
            rejected.append(RejectedItem(uid=uid, reason=reason))
        else:
            raise Refused(f"{decision!r} for {uid} is neither received nor rejected")
    if not accepted and not rejected:
        raise Refused("mark at least one item received or rejected")
    try:
        return InvoiceAcknowledged(
            manifest_id=inv.number,
            signed_by=signed_by,
            signed_at=signed_at,
            accepted=accepted,
            rejected=rejected,
        )
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise Refused(f"{where}: {first['msg']}") from None

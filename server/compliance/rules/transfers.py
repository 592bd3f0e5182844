"""Transfers: recorded with their manifest before the goods leave, never during or right after
a loss of access."""

from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

from schemas.commerce import (
    InvoiceAcknowledged,
    TransferArrived,
    TransferDeparted,
    TransferManifested,
    TransferReceived,
)
from schemas.events import EventEnvelope
from schemas.records import AccessRestored
from server.compliance.rules.base import rule, rule_on
from server.compliance.rules.state import OutageState, StateView

# A transfer's steps, from the seller's manifest to the purchaser's acknowledgment of the invoice.
TransferStep = (
    TransferManifested | TransferDeparted | TransferArrived | TransferReceived | InvoiceAcknowledged
)


def _when(at: datetime, zone: ZoneInfo) -> str:
    """A time on the premises' clock with its zone: 'Wed 2026-12-02 09:40 PST'."""
    return at.astimezone(zone).strftime("%a %Y-%m-%d %H:%M %Z")


def _manifest(state: StateView, event: EventEnvelope, p: TransferManifested) -> Iterator[str]:
    m = p.manifest_id
    if state.transfer("out", m) is not None:
        yield f"Manifest {m} was already recorded; give this transfer its own manifest number"
    if p.seller.licence != event.licence:
        yield (
            f"Manifest {m} names licence {p.seller.licence} as the seller, but it is recorded by "
            f"licence {event.licence}; the seller records the manifest"
        )
    if p.purchaser.licence == event.licence:
        yield f"Manifest {m} names this licensee as the purchaser too; a transfer goes elsewhere"
    packages = state.packages([i.uid for i in p.items])
    for item in p.items:
        package = packages.get(item.uid)
        if package is None:
            yield f"Item {item.uid} of manifest {m} is not a package of this licensee"
        elif package.status != "on_hand":
            on = package.manifest_id
            yield f"Package {item.uid} is already {package.status} on manifest {on}"
        else:
            for field, said, held in (
                ("category", item.category.value, package.category),
                ("strain", item.strain, package.strain),
            ):
                if held is not None and said != held:
                    yield f"Manifest {m} gives package {item.uid} {field} {said}; it holds {held}"


@rule_on(
    "TRANSFER-MANIFEST",
    summary="A transfer is recorded, with its manifest of packages held here, before the goods "
    "leave; the purchaser accepts or rejects exactly the items that arrived.",
)
def transfer_manifest(state: StateView, event: EventEnvelope, p: TransferStep) -> Iterator[str]:
    if isinstance(p, TransferManifested):
        yield from _manifest(state, event, p)
    elif isinstance(p, TransferDeparted):
        zone = state.licence().zone
        out = state.transfer("out", p.manifest_id)
        if out is None:
            yield (
                f"No manifest {p.manifest_id} was recorded; record the transfer before the goods "
                "leave"
            )
        elif out.status != "manifested":
            yield f"The goods of manifest {p.manifest_id} already left"
        elif p.departed_at < out.recorded_at:
            yield (
                f"The goods of manifest {p.manifest_id} left at {_when(p.departed_at, zone)}, "
                f"before the manifest was recorded at {_when(out.recorded_at, zone)}"
            )
    elif isinstance(p, TransferArrived):
        if state.transfer("in", p.manifest_id) is not None:
            yield f"Transfer {p.manifest_id} already arrived here"
        if p.seller.licence == event.licence:
            yield f"Transfer {p.manifest_id} names this licensee as its own seller"
    elif isinstance(p, TransferReceived):
        incoming = state.transfer("in", p.manifest_id)
        if incoming is None:
            yield f"No transfer {p.manifest_id} arrived here; record its arrival first"
            return
        for uid in [i.uid for i in p.accepted] + [i.uid for i in p.rejected]:
            if uid not in incoming.uids:
                yield f"UID {uid} is not on transfer {p.manifest_id}"
            elif uid in incoming.decided:
                yield f"UID {uid} of transfer {p.manifest_id} was already accepted or rejected"
    elif isinstance(p, InvoiceAcknowledged):
        yield from _acknowledged(state, p)


def _acknowledged(state: StateView, p: InvoiceAcknowledged) -> Iterator[str]:
    """The purchaser acknowledges the items of a transfer that left here (CA 8401(i))."""
    out = state.transfer("out", p.manifest_id)
    if out is None:
        yield f"No manifest {p.manifest_id} was recorded here; an invoice is a manifest's"
        return
    if out.status == "manifested":
        yield (
            f"The goods of manifest {p.manifest_id} have not left; the purchaser acknowledges "
            "what it received, after the departure is recorded"
        )
    for uid in [*p.accepted, *(i.uid for i in p.rejected)]:
        if uid not in out.uids:
            yield f"UID {uid} is not on manifest {p.manifest_id}"
        elif uid in out.decided:
            yield f"UID {uid} of manifest {p.manifest_id} was already acknowledged"


def _where(o: OutageState) -> str:
    return "the premises" if o.station_id is None else f"station {o.station_id}"


def _state_link(o: OutageState, at: datetime, zone: ZoneInfo) -> Iterator[str]:
    """A loss of access to the state system (Metrc, BioTrack), from the connector's record."""
    if o.restored_at is None:
        yield (
            f"Access to {o.system} has been lost since {_when(o.lost_at, zone)}; no transfer until "
            f"it is restored and everything recorded meanwhile is filed into {o.system}"
        )
    elif o.lost_at <= at <= o.restored_at:
        yield (
            f"This transfer is dated {_when(at, zone)}, while access to {o.system} was lost "
            f"({_when(o.lost_at, zone)} to {_when(o.restored_at, zone)}); no transfer during a loss"
        )
    elif o.backlog is not None and o.entered < o.backlog:
        yield (
            f"What waited while access to {o.system} was lost ({_when(o.lost_at, zone)} to "
            f"{_when(o.restored_at, zone)}) is not all filed into {o.system} yet; no transfer "
            "until it is"
        )


@rule(
    "TRANSFER-AFTER-OUTAGE",
    summary="No transfer while access is lost (at any station, or to the state system), during "
    "the loss, or until everything recorded during it has been entered (filed into the state "
    "system); a restoration names a loss not yet restored.",
    kinds=["transfer.manifested", "transfer.departed", "access.restored"],
)
def transfer_after_outage(state: StateView, event: EventEnvelope) -> Iterator[str]:
    p = event.payload
    zone = state.licence().zone
    if isinstance(p, AccessRestored):
        loss = state.outage(p.lost_event_id)
        if loss is None:
            yield f"Event {p.lost_event_id} is not a loss of access recorded by this licensee"
        elif loss.restored_at is not None:
            yield f"The loss of access of {_when(loss.lost_at, zone)} was already restored"
        elif p.restored_at < loss.lost_at:
            yield (
                f"Access cannot be restored at {_when(p.restored_at, zone)}, before it was lost at "
                f"{_when(loss.lost_at, zone)}"
            )
        return
    at = p.departed_at if isinstance(p, TransferDeparted) else event.occurred_at
    for o in state.outages(at):
        if o.system is not None:
            yield from _state_link(o, at, zone)
        elif o.restored_at is None:
            yield (
                f"Access to the system has been lost at {_where(o)} since "
                f"{_when(o.lost_at, zone)}; no transfer until it is restored and everything "
                "recorded meanwhile is entered"
            )
        elif o.lost_at <= at <= o.restored_at:
            yield (
                f"This transfer is dated {_when(at, zone)}, while access was lost at {_where(o)} "
                f"({_when(o.lost_at, zone)} to {_when(o.restored_at, zone)}); no transfer during "
                "a loss"
            )
        elif o.backlog is not None and o.entered < o.backlog:
            yield (
                f"{o.entered} of the {o.backlog} events recorded at {_where(o)} during the loss "
                f"of access of {_when(o.lost_at, zone)} are entered; enter the rest before any "
                "transfer"
            )

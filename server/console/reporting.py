"""The reports page: the reconciliation sheet and the record's audit report, recording the
day's reconciliation (``reconciliation.recorded``, which resolves DAILY-RECONCILE), and a
physical audit compared with the system's inventory (AUDIT-VARIANCE, via
:func:`server.reads.stocktake.compare`; it records nothing, so a regulator may run it too,
unless one of the licensee's people who may record asks to record it: ``inventory.audited``
through the ingest)."""

from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Depends, Form
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from schemas.clock import local_day
from schemas.records import ReconciliationRecorded
from server.console.deps import ClockDep, EngineDep, ViewerDep, get_clock, same_origin
from server.console.pages import Screen, ScreenDep, flash, router
from server.console.queries import days, reports
from server.console.queries.counts import CountsError, parse_counts
from server.console.viewer import Viewer
from server.ingest.submit import submit
from server.reads.stocktake import as_events, compare

EXAMPLE = (
    "plant, 1A4FF0100000022000000004, 1\nbatch, B-2026-001, 6\nharvest_batch, HB-1, , 1512.3 g"
)


def may_record(viewer: Viewer) -> bool:
    return not viewer.read_only and len(viewer.licences) == 1


def _render(
    screen: Screen, start: date | None = None, end: date | None = None, **extra: Any
) -> HTMLResponse:
    request, viewer, engine = screen.request, screen.viewer, screen.engine
    now = get_clock(request).now()
    zone = days.shared_zone(engine, viewer.licences)
    last = end if end is not None else local_day(now, zone) + timedelta(days=1)
    first = start if start is not None else last - timedelta(days=7)
    if first >= last:
        first = last - timedelta(days=1)
    context: dict[str, Any] = {
        "counts_text": "",
        "counts_error": None,
        "audit_recorded": None,
        "physical": None,
        "example": EXAMPLE,
        "may_record": may_record(viewer),
        # One licensee when it may record: the shared zone is its own.
        "today": local_day(now, zone) if may_record(viewer) else None,
        "report_zone": zone,
    }
    context.update(extra)
    return screen.page(
        "reports.html",
        "Reports",
        rec=reports.reconciliation(engine, viewer.licences),
        audit=reports.audit(
            engine,
            viewer.licences,
            datetime.combine(first, time(), ZoneInfo(zone)),
            datetime.combine(last, time(), ZoneInfo(zone)),
        ),
        **context,
    )


@router.get("/reports")
def reports_page(
    screen: ScreenDep, start: date | None = None, end: date | None = None
) -> HTMLResponse:
    """Reconciliation sheet (now) and the audit report for [start, end): days at the premises
    (in the licensees' zone; UTC across zones), the last seven by default."""
    return _render(screen, start, end)


@router.post("/reports/reconciled", dependencies=[Depends(same_origin)])
def record_reconciliation(
    viewer: ViewerDep,
    engine: EngineDep,
    clock: ClockDep,
    business_date: Annotated[date, Form()],
    note: Annotated[str, Form(max_length=500)] = "",
) -> RedirectResponse:
    back = "/console/reports#reconciliation"
    if not may_record(viewer):
        return flash(back, "This view is read-only: nothing can be recorded from it.", ok=False)
    [licence] = viewer.licences
    payload = ReconciliationRecorded(
        business_date=business_date, note=note.strip() if note.strip() != "" else None
    )
    ack = submit(engine, licence, viewer.user_id, payload, clock=clock)
    if ack.violations:
        why = "; ".join(f"{v.rule_id}: {v.message}" for v in ack.violations)
        return flash(back, f"The reconciliation was not recorded. {why}", ok=False)
    return flash(back, f"Reconciliation of {business_date.isoformat()} recorded.", ok=True)


@router.post("/reports/physical-audit", dependencies=[Depends(same_origin)])
def physical_audit(
    screen: ScreenDep,
    clock: ClockDep,
    counted: Annotated[str, Form(max_length=1_000_000)],
    licence: Annotated[str | None, Form(max_length=40)] = None,
    record: Annotated[str | None, Form(max_length=3)] = None,
    audited_by: Annotated[str, Form(max_length=100)] = "",
) -> HTMLResponse:
    """Compare what was counted with the system and show the variances; with ``record``
    (offered to those who may record), record the audit too, attributed to the viewer."""
    viewer, engine = screen.viewer, screen.engine
    target = licence if licence is not None else next(iter(viewer.licences), "")
    if not viewer.may_see(target):
        return _render(screen, counts_text=counted, counts_error=f"no licence {target}")
    try:
        audit_in = parse_counts(counted)
    except CountsError as err:
        return _render(screen, counts_text=counted, counts_error=str(err))
    tolerance = screen.request.app.state.settings.audit_moisture_tolerance_pct
    with engine.connect() as conn:
        result = compare(conn, target, audit_in, tolerance)
    shown: dict[str, Any] = {"counts_text": counted, "physical": result, "physical_licence": target}
    if record is not None and may_record(viewer):
        audit_id = f"AUD-{clock.now():%Y%m%d-%H%M%S}"
        by = audited_by.strip() if audited_by.strip() != "" else viewer.user_id
        try:
            events = as_events(audit_in, result, audit_id, by)
        except ValidationError:
            shown["counts_error"] = (
                "The audit was not recorded: who counted it must be a name of at most 100 "
                "characters on one line, without tabs."
            )
            events = []
        for event in events:
            ack = submit(engine, target, viewer.user_id, event, clock=clock)
            if ack.violations:
                why = "; ".join(f"{v.rule_id}: {v.message}" for v in ack.violations)
                shown["counts_error"] = f"The audit was not recorded (part {event.part}). {why}"
                break
        else:
            if events:
                shown["audit_recorded"] = f"Audit {audit_id} recorded, counted by {by}."
    return _render(screen, **shown)

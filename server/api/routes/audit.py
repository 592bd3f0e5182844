"""Physical inventory audit (AUDIT-VARIANCE): upload what was counted and weighed, get the
variances. The comparison records nothing, so a regulator auditing a licensee it oversees may
run it too (OR Inventory Audits: the Commission performs them). The licensee's own people
record an audit (``POST .../audits/record``): the comparison is written to the log as
``inventory.audited`` events through the ingest, where the analytics follow its variances;
a regulator writes nothing under a licensee."""

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict

from schemas.ids import Name
from server.accounts.deps import ReadScope, WriteScope
from server.api.deps import ClockDep, EngineDep, RecorderDep, SettingsDep
from server.api.listing import CSV_RESPONSE, ListFormat, csv_response
from server.reads.stocktake import AuditIn, AuditLine, AuditResult, as_events, compare

router = APIRouter(tags=["reconciliation and audit"])


@router.post("/licensees/{licence}/audits", response_model=AuditResult, responses=CSV_RESPONSE)
def audit(
    scope: ReadScope,
    engine: EngineDep,
    settings: SettingsDep,
    body: AuditIn,
    format: ListFormat = ListFormat.JSON,
) -> AuditResult | Response:
    """Compare counted weights and counts with the system's inventory; variances of usable
    cannabis within the moisture tolerance are marked as such, not as violations."""
    with engine.connect() as conn:
        result = compare(conn, scope.licence, body, settings.audit_moisture_tolerance_pct)
    if format is ListFormat.CSV:
        return csv_response(result.lines, AuditLine, "audit")
    return result


class RecordAuditIn(AuditIn):
    model_config = ConfigDict(extra="forbid")

    audit_id: Name | None = None  # default: AUD- and the time recorded (UTC)
    audited_by: Name | None = None  # who counted; default: the signed-in user


class RecordedAudit(BaseModel):
    audit_id: str
    event_ids: list[str]  # the inventory.audited events, part 1 first
    result: AuditResult


@router.post("/licensees/{licence}/audits/record", status_code=201)
def record_audit(
    scope: WriteScope,
    engine: EngineDep,
    settings: SettingsDep,
    record: RecorderDep,
    clock: ClockDep,
    body: RecordAuditIn,
) -> RecordedAudit:
    """Compare as above and record the audit (``inventory.audited``, in parts of 150 lines),
    attributed to the signed-in user; 422 with the violations when a rule refuses it."""
    with engine.connect() as conn:
        result = compare(conn, scope.licence, body, settings.audit_moisture_tolerance_pct)
    audit_id = body.audit_id or f"AUD-{clock.now():%Y%m%d-%H%M%S}"
    counted = AuditIn(counted=body.counted)
    events = as_events(counted, result, audit_id, body.audited_by or scope.operator_id)
    ids = [record(scope, event).event_id for event in events]
    return RecordedAudit(audit_id=audit_id, event_ids=ids, result=result)

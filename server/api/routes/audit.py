"""Physical inventory audit (AUDIT-VARIANCE): upload what was counted and weighed, get the
variances. The comparison records nothing, so a regulator auditing a licensee it oversees may
run it too (OR Inventory Audits: the Commission performs them)."""

from fastapi import APIRouter
from fastapi.responses import Response

from server.accounts.deps import ReadScope
from server.api.deps import EngineDep, SettingsDep
from server.api.listing import CSV_RESPONSE, ListFormat, csv_response
from server.reads.stocktake import AuditIn, AuditLine, AuditResult, compare

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

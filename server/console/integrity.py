"""The console's record-integrity page: the published checkpoints of each licensee's hash
chain (``docs/integrity.md``), for a regulator to see and download, and a licensee's people
to show an inspector. The download is the same JSON shape as the API's
``/licensees/{licence}/checkpoints`` items, which ``seedtrace db verify --checkpoints`` reads."""

import json

from fastapi.responses import HTMLResponse, Response

from server.console.deps import EngineDep, ViewerDep
from server.console.pages import ScreenDep, router
from server.store.integrity import list_checkpoints


@router.get("/integrity")
def integrity_page(screen: ScreenDep) -> HTMLResponse:
    with screen.engine.connect() as conn:
        checkpoints = list_checkpoints(conn, screen.viewer.licences)
    return screen.page("integrity.html", "Record integrity", checkpoints=checkpoints[::-1])


@router.get("/integrity/checkpoints.json")
def checkpoints_download(viewer: ViewerDep, engine: EngineDep) -> Response:
    with engine.connect() as conn:
        checkpoints = list_checkpoints(conn, viewer.licences)
    items = [
        {
            "licence": cp.licence,
            "taken_at": cp.taken_at.isoformat(),
            "chain_index": cp.chain_index,
            "row_hash": cp.row_hash,
            "position": cp.position,
        }
        for cp in checkpoints
    ]
    return Response(
        json.dumps({"items": items}, indent=1),
        media_type="application/json",
        headers={
            "Content-Disposition": 'attachment; filename="seedtrace-checkpoints.json"',
            "Cache-Control": "no-store",
        },
    )

"""Vega-Lite to SVG in a process of its own: the console's chart renderer.

vl-convert 1.9 holds Python's GIL while it draws (~1.2 s to start its JavaScript engine, then
20-80 ms a chart), which would stall every other thread of the process, the ingest worker's
acks included. So the drawing happens in one child process (``spawn``: nothing of the
parent's threads or sockets is inherited), started on the first chart or by the console's
warm-up; the parent only waits on a pipe, which releases the GIL.

Failure modes: a child that dies (killed, out of memory) raises
:class:`~concurrent.futures.process.BrokenProcessPool` for the chart being drawn, and the next
chart starts a new child; a chart not drawn within :data:`TIMEOUT_S` raises
:class:`TimeoutError`. vl-convert's own errors (a bad spec) are raised as they are.
"""

import json
import multiprocessing
import signal
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

VEGA_LITE = "v6_4"  # the Vega-Lite in vl-convert 1.9 that the specs are written for
TIMEOUT_S = 30.0  # a chart's drawing, the child's start included


def _quiet_child() -> None:
    """The child's start: Ctrl-C at a terminal reaches the whole process group, and stopping
    is the parent's business (it ends the child on exit), so the child ignores SIGINT rather
    than print a KeyboardInterrupt traceback over the parent's goodbye."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def draw_here(spec_json: str) -> str:
    """The SVG of a spec (as JSON), drawn in this process: what the child runs. The spec
    carries its data inline; no base URL is allowed, so vl-convert fetches nothing."""
    import vl_convert  # only the renderer process loads it

    return vl_convert.vegalite_to_svg(
        json.loads(spec_json), vl_version=VEGA_LITE, allowed_base_urls=[]
    )


class Renderer:
    """One child process that draws charts, started when first needed, replaced if it dies."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None

    def draw(self, spec_json: str) -> str:
        """The SVG of a spec (as JSON), drawn by the child; see the module for failures."""
        with self._lock:
            if self._pool is None:
                spawn = multiprocessing.get_context("spawn")
                self._pool = ProcessPoolExecutor(
                    max_workers=1, mp_context=spawn, initializer=_quiet_child
                )
            pool = self._pool
        try:
            return pool.submit(draw_here, spec_json).result(timeout=TIMEOUT_S)
        except BrokenProcessPool:
            with self._lock:
                if self._pool is pool:
                    self._pool = None  # the next chart starts a new child
            raise


RENDERER = Renderer()

"""Work run on several threads at once, for the tests of concurrent writers."""

import threading
from collections.abc import Callable


def run_at_once(work: Callable[[int], None], n: int) -> None:
    """``work(0)`` to ``work(n - 1)``, each on its own thread, all started before any is
    joined; fails listing what any of them raised."""
    errors: list[BaseException] = []

    def guarded(i: int) -> None:
        try:
            work(i)
        except BaseException as err:  # reported by the assertion below
            errors.append(err)

    threads = [threading.Thread(target=guarded, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []

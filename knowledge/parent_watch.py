"""Worker processes that do not outlive the process that started them.

A process killed with SIGKILL cannot stop its workers, and a worker blocked waiting for its
next task never notices: it would stay, holding memory (and, for a build, CPU), until the
machine restarts. Each worker therefore watches its parent from a daemon thread.
"""

from __future__ import annotations

import os
import threading
import time

# Seconds between two looks at whether the parent is still there.
PARENT_CHECK_S = 0.2


def exit_when_parent_dies(parent: int) -> None:
    """In a worker started by process `parent`: end this process once `parent` is gone.

    The parent passes its own pid, so a parent that died before the worker got here is
    noticed too (the worker's parent id is then already another process's).
    """
    threading.Thread(target=_watch, args=(parent,), name="exit-with-parent", daemon=True).start()


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_S)
    os._exit(1)

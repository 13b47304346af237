"""Worker processes that do not outlive the process that started them.

A process killed with SIGKILL cannot stop its workers, and a worker blocked waiting for its
next task never notices: it would stay, holding memory (and, for a build, CPU), until the
machine restarts. Each worker therefore watches its parent from a daemon thread.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

# Seconds between two looks at whether the parent is still there.
PARENT_CHECK_S = 0.2


def exit_when_parent_dies(parent: int, via_server: bool = False) -> None:
    """In a worker started by process `parent`: end this process once `parent` is gone.

    The parent passes its own pid, so a parent that died before the worker got here is
    noticed too (the worker's parent id is then already another process's). `via_server`:
    the worker was forked by a fork server `parent` started; the server outlives `parent`
    while its workers run, so `parent` itself is watched, by its pid.
    """
    threading.Thread(target=_watch, args=(parent, via_server), name="exit-with-parent", daemon=True).start()


def _watch(parent: int, via_server: bool) -> None:
    while _exists(parent) if via_server else os.getppid() == parent:
        time.sleep(PARENT_CHECK_S)
    os._exit(1)


def _exists(pid: int) -> bool:
    """Whether process `pid` runs (a zombie, dead but not yet reaped, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, as another user's process
        return True
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:  # no /proc: the signal reached it
        return True

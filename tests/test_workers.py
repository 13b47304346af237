import os
import sys
import threading

import pytest

from bot.workers import run_when_idle

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="scheduling classes are Linux's")


def test_run_when_idle_lowers_only_the_calling_thread():
    """The answering processes open a new store in an idle thread while their main thread
    keeps its priority: that holds only if the setting is the thread's own."""
    seen = {}

    def lowered():
        run_when_idle()
        seen["policy"] = os.sched_getscheduler(0)

    before = os.sched_getscheduler(0)
    thread = threading.Thread(target=lowered)
    thread.start()
    thread.join()
    assert seen["policy"] == os.SCHED_IDLE
    assert os.sched_getscheduler(0) == before != os.SCHED_IDLE

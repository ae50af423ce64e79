"""Celery beat's scheduler, with a heartbeat file: the beat container's health check.

`mizan healthcheck beat` (service/roles.py) reads the file's age: beat writes it after each
task it sends, so a beat whose loop hangs or whose broker refuses the sweep turns unhealthy.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from celery.beat import PersistentScheduler

from mizan.service.roles import BEAT_HEARTBEAT

log = logging.getLogger("mizan.beat")


class Scheduler(PersistentScheduler):
    """PersistentScheduler that notes when it started and every task it has sent."""

    def setup_schedule(self):
        super().setup_schedule()
        self._heartbeat()

    def apply_async(self, entry, producer=None, advance=True, **kwargs):
        result = super().apply_async(entry, producer, advance, **kwargs)
        self._heartbeat()
        return result

    def _heartbeat(self) -> None:
        path = Path(self.schedule_filename).parent / BEAT_HEARTBEAT
        try:
            path.write_text(f"{time.time():.0f}\n")
        except OSError as exc:
            log.warning("beat heartbeat not written (%s)", type(exc).__name__)

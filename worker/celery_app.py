"""The Celery application (`celery -A mizan.worker.celery_app worker`)."""

from __future__ import annotations

from celery import Celery

from mizan.service.config import load_settings
from mizan.service.integrations import DELIVER_TASK, DISPATCH_TASK, WEBHOOK_QUEUE
from mizan.service.queue import DEFAULT_QUEUE, SCORE_TASK, SWEEP_TASK


def make_celery() -> Celery:
    settings = load_settings()
    app = Celery(
        "mizan", broker=settings.broker_url, include=["mizan.worker.tasks", "mizan.worker.signals"]
    )
    app.conf.update(
        task_serializer="json",
        accept_content=["json"],
        result_backend=None,
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_soft_time_limit=settings.task_soft_time_limit,
        task_time_limit=settings.task_time_limit,
        task_default_queue=DEFAULT_QUEUE,
        task_routes={
            SCORE_TASK: {"queue": DEFAULT_QUEUE},
            SWEEP_TASK: {"queue": DEFAULT_QUEUE},
            # Deliveries wait on other people's servers: never in front of scoring.
            DISPATCH_TASK: {"queue": WEBHOOK_QUEUE},
            DELIVER_TASK: {"queue": WEBHOOK_QUEUE},
        },
        # Longer than any retry back-off, so a late-acked task is not redelivered while alive.
        broker_transport_options={"visibility_timeout": 3600},
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
        # A pool process loads the model before it reports up (signals.py); Celery's default
        # of 4 s would kill it on a busy machine.
        worker_proc_alive_timeout=60.0,
        # Beat notes each task it sends in a file: its health check (`mizan healthcheck beat`).
        beat_scheduler="mizan.worker.beat:Scheduler",
        beat_schedule={
            "mizan-sweep": {
                "task": SWEEP_TASK,
                "schedule": float(settings.sweep_interval_seconds),
                "options": {"expires": float(settings.sweep_interval_seconds)},
            },
            # New decisions become webhook events right after they commit (the score task and
            # the API nudge this task); this catches anything a lost message left behind.
            "mizan-webhooks-dispatch": {
                "task": DISPATCH_TASK,
                "schedule": settings.integrations.webhook_dispatch_seconds,
                "options": {
                    "expires": settings.integrations.webhook_dispatch_seconds,
                    "queue": WEBHOOK_QUEUE,
                },
            },
        },
        timezone="UTC",
        enable_utc=True,
    )
    return app


app = make_celery()

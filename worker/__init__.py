"""Celery workers: score pending comments and apply the moderation policy."""

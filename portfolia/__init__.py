"""Portfolia: the Django project package (settings, URLs, Celery app, API wiring, health)."""

from .celery import app as celery_app

__all__ = ("celery_app",)

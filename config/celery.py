"""Celery application. With REDIS_URL unset, tasks run eagerly in-process (quick start)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("relief")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

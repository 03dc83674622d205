"""The Celery worker's entry point: `celery -A notices_app.jobs.worker worker`.

The Flask app is made from the environment (NOTICES_DATABASE_URL, NOTICES_STORAGE_DIR,
NOTICES_CELERY_BROKER_URL, …), as wsgi.py makes the web's; `app` is its Celery application.
"""

from __future__ import annotations

from notices_app import create_app
from notices_app.jobs.celery_app import celery_for

flask_app = create_app()
if not flask_app.config.get("CELERY_BROKER_URL"):
    raise RuntimeError("set NOTICES_CELERY_BROKER_URL (e.g. redis://127.0.0.1:6379/0) to run a worker")
app = celery = celery_for(flask_app)

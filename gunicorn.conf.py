"""gunicorn's settings for Walk-in, read from the working directory (or ``-c gunicorn.conf.py``).

Without ``METRICS_PORT`` it changes nothing. With it, every worker records its requests and
database connections (prometheus_client's multiprocess mode, in ``PROMETHEUS_MULTIPROC_DIR``:
a fresh temporary folder unless given, removed at exit), and the master process serves all
workers' figures added up, with the outbox backlog, at ``METRICS_ADDRESS:METRICS_PORT``
(``admin_app/platform/metrics.py``). The app's own port never answers metrics.
"""

import os
import shutil
import tempfile

if os.environ.get("METRICS_PORT", "").strip() not in ("", "0"):
    # Before prometheus_client is imported anywhere: it reads the folder once, at import.
    _made_folder = None
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        _made_folder = tempfile.mkdtemp(prefix="walkin-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = _made_folder

    from admin_app.platform.metrics import (  # noqa: F401 - gunicorn calls them by name
        child_exit,
        on_starting,
        post_worker_init,
        when_ready,
    )

    def on_exit(_server: object) -> None:
        if _made_folder:
            shutil.rmtree(_made_folder, ignore_errors=True)

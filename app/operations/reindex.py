"""Reindex jobs: the incremental build of the knowledge base in a background thread.

:meth:`app.assistant.Assistant.start_reindex` starts one (``POST /api/v1/admin/reindex``) and
:meth:`~app.assistant.Assistant.reindex_job` reads its status. One job runs at a time in a process
(:class:`~indexer.errors.BuildInProgress` otherwise; the build lock also keeps builds of other
processes apart). Each job's status is a small JSON file in ``UCC_DATA_DIR/admin-jobs/``, written
atomically when it starts and when it ends, so that any worker can answer for any job:
``{"job_id", "status": running | done | failed, "started_at", "finished_at", "report", "error"}``.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import threading
import time
from pathlib import Path
from typing import Any, Callable

from indexer.datafiles import ADMIN_JOBS_DIR
from indexer.errors import BuildInProgress, NotFound, UccError
from indexer.store import write_file_atomically

from app.operations.questionlog import iso

log = logging.getLogger("ucc.reindex")

JOB_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


class ReindexJobs:
    """The reindex jobs of one process; ``embedder`` gives the model the build embeds with (the
    searcher's own, so that the build does not load a second copy)."""

    def __init__(self, settings: Any, embedder: Callable[[], Any]):
        self.settings = settings
        self._embedder = embedder
        self.threads: dict[str, threading.Thread] = {}
        self._lock = threading.Lock()

    @property
    def folder(self) -> Path:
        return self.settings.data_dir / ADMIN_JOBS_DIR

    def start(self) -> dict[str, Any]:
        """Start a build in a background thread; the new job's status (``running``)."""
        with self._lock:
            if any(t.is_alive() for t in self.threads.values()):
                raise BuildInProgress("A reindex started on this worker is still running.")
            job_id = secrets.token_urlsafe(12)
            job = {"job_id": job_id, "status": "running", "started_at": iso(time.time()), "finished_at": None,
                   "report": None, "error": None}
            path = self.folder / f"{job_id}.json"
            _write(path, job)
            thread = threading.Thread(target=self._run, args=(path, dict(job)), name=f"reindex-{job_id}", daemon=True)
            self.threads[job_id] = thread
            thread.start()
        return job

    def status(self, job_id: str) -> dict[str, Any]:
        """The job's status as last written; :class:`NotFound` for an id no job has."""
        if not JOB_ID.match(job_id or ""):
            raise NotFound("No reindex job has this id.")
        try:
            return json.loads((self.folder / f"{job_id}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise NotFound("No reindex job has this id.") from None

    def wait(self, timeout: float | None = None) -> None:
        """Wait for the jobs started here (tests, shutdown)."""
        for thread in list(self.threads.values()):
            thread.join(timeout)

    def _run(self, path: Path, job: dict[str, Any]) -> None:
        from indexer.build import build_index

        try:
            report = build_index([self.settings.knowledge_dir], self.settings, embedder=self._embedder())
            job.update(status="done", report=report.to_dict())
        except UccError as exc:
            job.update(status="failed", error=exc.message)
        except Exception:  # the trace goes to the log, not to the client
            log.exception("reindex failed")
            job.update(status="failed", error="The build failed; the error was logged.")
        job["finished_at"] = iso(time.time())
        _write(path, job)


def _write(path: Path, job: dict[str, Any]) -> None:
    write_file_atomically(path, json.dumps(job))

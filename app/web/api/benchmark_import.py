"""``POST /api/v1/admin/benchmark/import``: a network's own dashboard results checked, and written
with ``?write=1`` only when every row is valid (then the workers reload the scores).

The file comes as a raw CSV or YAML body (its media type names the format) or as one multipart
field ``file`` (its extension does). Row errors are 422 ``invalid_import`` with every error listed;
the answer names the file written relative to knowledge/, never a server path.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import tempfile
from pathlib import Path

from flask import jsonify, request

from app.web.api.blueprint import operation
from app.web.api.context import assistant, settings
from app.web.api.inputs import ImportQuery
from app.web.api.reading import request_body
from app.web.errors import fail

log = logging.getLogger("ucc.web.api")

IMPORT_TYPES = {"text/csv": ".csv", "application/csv": ".csv", "application/yaml": ".yaml",
                "application/x-yaml": ".yaml", "text/yaml": ".yaml", "text/x-yaml": ".yaml"}
_FILE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@operation("admin_benchmark_import")
def admin_benchmark_import(query: ImportQuery):
    name, content, suffix = _upload(query.name)
    with tempfile.TemporaryDirectory(prefix="ucc-import-") as tmp:
        path = Path(tmp) / (Path(name).stem + suffix)
        path.write_bytes(content)
        result = assistant.import_benchmark(path, write=query.write, revision=query.revision or None,
                                            source=query.source or None)
    body = result.to_dict()
    body["output"] = f"benchmark/{result.output.name}" if result.output else None  # no server paths
    body["written"] = result.output is not None
    if not result.ok:
        fail(422, "invalid_import", f"{len(result.errors)} row error(s) in {result.source_file}; nothing written.",
             errors=body["errors"])
    if result.output is not None:
        _reload_workers()
    return jsonify(body)


def _upload(raw_name: str | None) -> tuple[str, bytes, str]:
    """(file name, bytes, suffix) from a multipart ``file`` or a raw CSV/YAML body."""
    mimetype = request.mimetype
    if mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None or set(request.files) != {"file"} or request.form:
            fail(400, "invalid_body", "Send one multipart field named 'file'.")
        name = upload.filename or "import"
        content = upload.read()
        suffix = Path(name).suffix.lower()
        if suffix == ".yml":
            suffix = ".yaml"
        if suffix not in (".csv", ".yaml"):
            fail(415, "unsupported_media_type", "Upload a .csv, .yaml or .yml file.")
    elif mimetype in IMPORT_TYPES:
        suffix = IMPORT_TYPES[mimetype]
        name = raw_name or ("import" + suffix)
        content = request_body()
    else:
        fail(415, "unsupported_media_type", "Send CSV (text/csv) or YAML (application/yaml), or a multipart 'file'.")
    if not content.strip():
        fail(400, "invalid_body", "The import file is empty.")
    name = _FILE_NAME.sub("-", Path(name).name)[:80] or "import"
    return name, content, suffix


def _reload_workers() -> None:
    """New scores on disk, and this worker's assistant has reloaded them: under gunicorn, ask the
    arbiter to replace the other workers gracefully (each loads the new scores; no request fails)."""
    if settings.gunicorn_reload:
        try:
            os.kill(os.getppid(), signal.SIGHUP)
        except OSError:
            log.warning("could not ask gunicorn to reload the workers")

"""What a backup of UCC_DATA_DIR holds besides the index: the service's own SQLite files and
the question log's salt. The copying, checking and restoring is :mod:`indexer.backup`.

Left out on purpose: ``metrics/`` (the workers' prometheus_client files, emptied by ``ucc serve``),
``admin-jobs/`` (status of past reindex requests) and ``build.lock``; the knowledge folder is
the source of the index and belongs in version control, not in this backup.
"""

from __future__ import annotations

from pathlib import Path

from indexer import backup as core
from indexer.datafiles import CONVERSATIONS_DB, LOG_SALT, QUESTIONS_DB, SLACK_EVENTS_DB
from indexer.settings import Settings

DATABASES = (QUESTIONS_DB, CONVERSATIONS_DB, SLACK_EVENTS_DB)
FILES = (LOG_SALT,)


def backup(settings: Settings, dest: Path) -> core.BackupReport:
    """A consistent online backup of the index, the question log, conversations and the Slack
    bot's state into the new folder ``dest``."""
    return core.create_backup(settings.data_dir, Path(dest), databases=DATABASES, files=FILES)


def restore(settings: Settings, src: Path, force: bool = False) -> core.RestoreReport:
    """Check the backup in ``src`` and make it the contents of UCC_DATA_DIR."""
    return core.restore_backup(Path(src), settings.data_dir, force=force)

"""The names of what lives in the data folder (``UCC_DATA_DIR``), each spelled once.

Every module that opens one of these imports its name from here (app/ and bots/ included), so a
backup, an integrity check and the service agree on what the folder holds.
"""

INDEX_DB = "index.db"  # the search index: documents, chunks, generations (indexer.store)
FAISS_DIR = "faiss"  # one FAISS file per kept generation
CROSSLINGUAL_DIR = "crosslingual"  # derived multilingual vectors of the live generation (indexer.crosslingual)
BUILD_LOCK = "build.lock"  # held while the index is built or pulled, or a backup is restored
PULL_STAGING = ".pull-"  # prefix of the folder a pull copies and checks in (indexer.pull)
QUESTIONS_DB = "questions.db"  # the question log and feedback (app.operations.questionlog)
LOG_SALT = "log-salt"  # the question log's salt when UCC_LOG_SALT is empty (0600)
CONVERSATIONS_DB = "conversations.db"  # recent turns for follow-up questions (app.answering.conversations)
SLACK_EVENTS_DB = "slack-events.db"  # the Slack bot's state (bots.stores)
CONSOLE_SESSIONS_DB = "console-sessions.db"  # the moderator console's sign-ins (app.web.console)
AUTH_THROTTLE_DB = "auth-throttle.db"  # wrong-token counts shared by the workers (app.web.ratelimit)
METRICS_DIR = "metrics"  # gunicorn workers' prometheus_client files (`ucc serve`)
ADMIN_JOBS_DIR = "admin-jobs"  # status of reindex requests made through the admin API

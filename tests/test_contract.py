"""Contract fuzzing: schemathesis generates requests for every operation of
/api/v1/openapi.json and runs its default checks on the real app (create_app over a small real
index built with the fake embedder): no 5xx, every status documented, every body and content
type as the document says, invalid input rejected, valid input accepted.

The run is bounded (a fixed number of examples per operation, derandomized) so that it is
stable in CI and takes well under a minute.
"""

from __future__ import annotations

import shutil
from collections import defaultdict

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from hypothesis import HealthCheck
from hypothesis import settings as hsettings

from app.assistant import Assistant
from app.web import create_app
from app.web.api.openapi import spec
from indexer.build import build_index
from indexer.search import Searcher
from indexer.settings import load_settings

from .conftest import REPO, FakeEmbedder

TOKEN = "contract-admin-token-0123456789"
EXAMPLES = 40
ANSWERED: dict[str, set[int]] = defaultdict(set)  # operation -> statuses seen


@pytest.fixture(scope="module")
def contract_app(tmp_path_factory):
    """The real app over a real (small, fake-embedded) index of a copy of knowledge/, admin on."""
    from app.network.catalog import Catalog

    root = tmp_path_factory.mktemp("contract")
    kdir = root / "knowledge"
    shutil.copytree(REPO / "knowledge", kdir)  # an import with ?write=1 may only touch the copy
    settings = load_settings({}, UCC_DATA_DIR=str(root / "var"), UCC_KNOWLEDGE_DIR=str(kdir),
                             UCC_ADMIN_TOKEN=TOKEN, UCC_RATE_LIMIT="0", UCC_LOG_SALT="pepper")
    fake = FakeEmbedder()
    build_index([kdir], settings, embedder=fake)
    assistant = Assistant(settings, searcher=Searcher(settings, embedder=fake), catalog=Catalog.load(kdir))
    app = create_app(settings, assistant=assistant)
    yield app
    assistant.reindex_jobs.wait(timeout=30)  # a reindex started by a generated request


# The document the app serves (GET /api/v1/openapi.json returns exactly spec(); test_api checks
# that), loaded at import so that pytest can list one test per operation.
# A benchmark import is CSV or YAML text: whether its rows are right (400 or 422 otherwise) is
# more than a schema can say, so for that operation those two count as accepting valid data.
CONFIG = SchemathesisConfig.from_dict({
    "generation": {"max-examples": EXAMPLES, "deterministic": True},
    "auth": {"openapi": {"bearer": {"bearer": TOKEN}}},  # the document's "bearer" scheme: admin routes
    "operations": [{"include-path": "/api/v1/admin/benchmark/import",
                    "checks": {"positive_data_acceptance": {
                        "expected-statuses": ["2xx", "400", "401", "404", "409", "422", "429"]}}}],
})
schema = schemathesis.openapi.from_dict(spec(), config=CONFIG)


@schema.parametrize()
@hsettings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
           suppress_health_check=list(HealthCheck))
def test_every_operation_keeps_its_contract(case, contract_app):
    query = case.query or {}
    if query.get("since") not in (None, ""):
        # OpenAPI cannot say that 'days' and 'since' exclude each other or that 'since' comes
        # before 'until' (both are 400, tested in test_api and below).
        query.pop("days", None)
        query.pop("until", None)
    # Every request, the checks' own follow-ups included, goes to the app in-process.
    case.operation.app = case.operation.schema.app = contract_app
    response = case.call_and_validate()
    ANSWERED[case.operation.label].add(response.status_code)


def test_every_operation_was_answered_with_success():
    """The run above reached every operation's success path (the admin token was applied too)."""
    operations = [result.ok().label for result in schema.get_all_operations()]
    needs_state = {"POST /api/v1/feedback", "GET /api/v1/admin/reindex/{job_id}"}  # an answer or a job id first
    if set(operations) - set(ANSWERED):
        pytest.skip("run the whole file: the contract run above did not cover every operation")
    never = [label for label in operations if not any(200 <= s < 300 for s in ANSWERED[label])]
    assert set(never) <= needs_state, {label: sorted(ANSWERED[label]) for label in never}


# --- regressions found by the run above ----------------------------------------------------------


def test_a_period_that_only_ends_or_starts_in_the_future_is_not_an_error(contract_app):
    """Was 400 "'since' must come before 'until'": the default start (30 days ago) or the log's
    first day came after the given end, or the end (now) before a given future start."""
    c = contract_app.test_client()
    admin = {"Authorization": f"Bearer {TOKEN}"}
    for url in ("/api/v1/admin/unanswered?until=2000-01-01",
                "/api/v1/admin/questions.csv?until=0381-02-09T04:54:22Z",
                "/api/v1/admin/topics?since=9824-06-25T15:55:15-21:35",
                "/api/v1/admin/down-rated?until=2000-01-01&days=3",
                "/api/v1/admin/unanswered?since=0001-01-01T00:00:00%2B05:00"):
        assert c.get(url, headers=admin).status_code == 200, url
    for bad in ("yesterday", "1700000000", "2023-02-30", "2023-01-01T25:00:00Z", "2023-01-01T10:00:00+24:00"):
        r = c.get(f"/api/v1/admin/unanswered?since={bad}", headers=admin)
        assert r.status_code == 400 and r.get_json()["error"]["code"] == "invalid_parameter", bad
    r = c.get("/api/v1/admin/unanswered?since=2026-01-01&days=3", headers=admin)
    assert r.status_code == 400  # both: OpenAPI cannot say it, the API does


def test_parameters_are_read_as_the_document_says(contract_app):
    c = contract_app.test_client()
    for url in ("/api/v1/search?q=x&k=%2B5", "/api/v1/search?q=x&k=%205", "/api/v1/search?q=x&k=5_0",
                "/api/v1/search?q=x&k=%D9%A5", "/api/v1/examples?topic=x&all_per_city=TRUE",
                "/api/v1/search?q=%C2%85", "/api/v1/examples?topic=x&kind=guide"):
        assert c.get(url).status_code == 400, url
    for url in ("/api/v1/search?q=x&k=&mode=", "/api/v1/examples?topic=x&n=&format=&all_per_city=yes&kind=case",
                "/api/v1/search?q=%EF%BB%BF"):  # U+FEFF is text to the server (not blank)
        assert c.get(url).status_code == 200, url
    for body in ({"question": "ok?", "channel": None}, {"question": "ok?", "channel": "", "conversation_id": ""}):
        assert c.post("/api/v1/ask", json=body).status_code == 200, body
    r = c.post("/api/v1/ask", json={"question": " " * 1999 + "x" * 2})  # 2,001 characters as sent
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "question_too_long"

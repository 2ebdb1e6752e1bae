"""ucc publish / ucc pull: the index built once, shipped to web hosts, checked, swapped in live."""

import functools
import http.server
import json
import os
import threading

import pytest
from click.testing import CliRunner

from app.assistant import Assistant
from app.cli import main
from app.operations.questionlog import QuestionLog
from app.web import create_app
from indexer import backup as bk
from indexer.build import build_index
from indexer.errors import InvalidRequest, PublishError, PullError
from indexer.integrity import check_data_dir
from indexer.publish import LATEST, publish
from indexer.pull import pull
from indexer.search import Searcher
from indexer.settings import load_settings

from .conftest import FakeEmbedder, write
from .test_build import make_kb

QUERY = "pre-primary education place"


@pytest.fixture
def builder(tmp_path, settings, fake_embedder):
    """The build host: a built index (and a question log, which must never travel)."""
    kb = make_kb(tmp_path / "kb")
    build_index([kb], settings, embedder=fake_embedder)
    qlog = QuestionLog.from_settings(settings)
    qlog.record_ask("Which city offers pre-primary places proactively?", "answered", channel="widget")
    qlog.close()
    return kb


@pytest.fixture
def web(tmp_path):
    """A web host's settings: its own, empty data folder."""
    return load_settings({}, UCC_DATA_DIR=str(tmp_path / "web"))


def _pull(settings, src, **kw):
    return pull(settings, str(src), embedder=FakeEmbedder(), **kw)


def _hits(settings, query=QUERY):
    result = Searcher(settings, embedder=FakeEmbedder()).search(query, k=5)
    return [(h.doc_id, round(h.score, 6), [p.chunk_id for p in h.passages]) for h in result.hits]


def _rebuild(settings, kb, text):
    write(kb / "services" / "porto-portal.md", "---\ntitle: Porto single portal\nkind: service\ncity: porto\n---\n"
          f"## About\n{text}\n")
    return build_index([kb], settings, embedder=FakeEmbedder()).generation


def test_publish_then_pull_serves_identical_results(tmp_path, settings, builder, web):
    report = publish(settings.data_dir, tmp_path / "pub")
    assert report.published and report.generation == 1 and report.folder == "gen-000001"
    assert (tmp_path / "pub" / LATEST).read_text() == "gen-000001\n"
    manifest = json.loads((tmp_path / "pub" / "gen-000001" / "manifest.json").read_text())
    assert set(manifest["files"]) == {"index.db", "faiss/gen-000001.index"}  # the index only, no question log
    assert manifest["index_config"]["model"] == "fake-hash-embedder" and manifest["dim"] == 64
    assert not [p for p in (tmp_path / "pub").iterdir() if p.name.startswith(".")]
    for path, mode in (("LATEST", 0o644), ("gen-000001", 0o755), ("gen-000001/faiss", 0o755),
                       ("gen-000001/index.db", 0o644), ("gen-000001/faiss/gen-000001.index", 0o644)):
        assert (tmp_path / "pub" / path).stat().st_mode & 0o777 == mode, path  # for the web server, any umask

    pulled = _pull(web, tmp_path / "pub")
    assert pulled.pulled and pulled.generation == pulled.published_generation == 1 and pulled.previous is None
    assert pulled.bytes == report.bytes
    assert sorted(p.name for p in web.data_dir.iterdir()) == ["build.lock", "faiss", "index.db"]  # nothing else came
    assert _hits(web) == _hits(settings) and _hits(web, "usability questionnaire") == _hits(settings, "usability questionnaire")
    assert not check_data_dir(web.data_dir).errors  # a complete index: rows, full text, cached vectors, FAISS


def test_pulling_the_same_generation_twice_is_a_noop(tmp_path, settings, builder, web):
    publish(settings.data_dir, tmp_path / "pub")
    _pull(web, tmp_path / "pub")
    before = (web.data_dir / "index.db").stat().st_mtime_ns, sorted(os.listdir(web.data_dir / "faiss"))
    again = _pull(web, tmp_path / "pub")
    assert not again.pulled and again.generation == 1 and again.bytes == 0
    assert ((web.data_dir / "index.db").stat().st_mtime_ns, sorted(os.listdir(web.data_dir / "faiss"))) == before
    republished = publish(settings.data_dir, tmp_path / "pub")  # and publishing again too
    assert not republished.published and republished.generation == 1


def test_a_running_service_switches_to_a_pulled_generation(tmp_path, settings, builder, web, catalog):
    publish(settings.data_dir, tmp_path / "pub")
    _pull(web, tmp_path / "pub")
    app = create_app(web, assistant=Assistant(web, searcher=Searcher(web, embedder=FakeEmbedder()), catalog=catalog))
    client = app.test_client()
    first = client.get("/api/v1/search?q=porto+single+portal+residents&k=3").get_json()
    assert first["generation"] == 1 and "porto-portal" not in [h["doc_id"] for h in first["hits"]]

    assert _rebuild(settings, builder, "Residents of Porto reach every service through one single portal.") == 2
    publish(settings.data_dir, tmp_path / "pub")
    pulled = _pull(web, tmp_path / "pub")
    assert pulled.generation == 2 and pulled.previous == 1
    after = client.get("/api/v1/search?q=porto+single+portal+residents&k=3").get_json()  # same app, no restart
    assert after["generation"] == 2 and "porto-portal" in after["hits"][0]["doc_id"]
    assert sorted(os.listdir(web.data_dir / "faiss")) == ["gen-000001.index", "gen-000002.index"]  # a query on 1 finishes


@pytest.mark.parametrize("damage", ["flip a byte", "truncate", "drop the manifest", "truncate the manifest",
                                    "drop LATEST"])
def test_a_damaged_publication_is_refused_and_the_old_index_serves(tmp_path, settings, builder, web, damage):
    publish(settings.data_dir, tmp_path / "pub")
    _pull(web, tmp_path / "pub")
    served = _hits(web)
    _rebuild(settings, builder, "Residents of Porto reach every service through one single portal.")
    publish(settings.data_dir, tmp_path / "pub")
    gen2 = tmp_path / "pub" / "gen-000002"
    faiss_file = gen2 / "faiss" / "gen-000002.index"
    if damage == "flip a byte":
        data = bytearray(faiss_file.read_bytes())
        data[len(data) // 2] ^= 0xFF
        faiss_file.write_bytes(bytes(data))
    elif damage == "truncate":
        (gen2 / "index.db").write_bytes((gen2 / "index.db").read_bytes()[:4096])
    elif damage == "drop the manifest":
        (gen2 / "manifest.json").unlink()
    elif damage == "truncate the manifest":
        (gen2 / "manifest.json").write_bytes((gen2 / "manifest.json").read_bytes()[:100])
    else:
        (tmp_path / "pub" / LATEST).unlink()
    with pytest.raises(PullError) as err:
        _pull(web, tmp_path / "pub")
    assert {"flip a byte": "checksum", "truncate": "checksum", "drop the manifest": "missing",
            "truncate the manifest": "cannot be read", "drop LATEST": "missing"}[damage] in err.value.message
    assert _hits(web) == served  # generation 1 still serves
    assert Searcher(web, embedder=FakeEmbedder()).live().id == 1
    assert not list(web.data_dir.glob(".pull-*")) and sorted(os.listdir(web.data_dir / "faiss")) == ["gen-000001.index"]


def _rewrite_manifest(folder, change):
    manifest = json.loads((folder / "manifest.json").read_text())
    change(manifest)
    (folder / "manifest.json").write_text(json.dumps(manifest))


@pytest.mark.parametrize("path", ["../../outside", "/etc/passwd", "faiss/../../x.index", "questions.db"])
def test_a_manifest_naming_other_paths_is_refused(tmp_path, settings, builder, web, path):
    publish(settings.data_dir, tmp_path / "pub")
    folder = tmp_path / "pub" / "gen-000001"

    def add(manifest):
        manifest["files"][path] = dict(manifest["files"]["index.db"])
    _rewrite_manifest(folder, add)
    with pytest.raises(PullError, match="Refused"):
        _pull(web, tmp_path / "pub")
    assert not (web.data_dir / "index.db").exists() and not (tmp_path / "outside").exists()


def test_symbolic_links_in_a_publication_are_refused(tmp_path, settings, builder, web):
    publish(settings.data_dir, tmp_path / "pub")
    folder = tmp_path / "pub" / "gen-000001"
    secret = write(tmp_path / "secret.db", "not an index")
    (folder / "index.db").unlink()
    (folder / "index.db").symlink_to(secret)
    with pytest.raises(PullError, match="symbolic link"):
        _pull(web, tmp_path / "pub")
    os.rename(folder / "faiss", tmp_path / "elsewhere")
    (folder / "faiss").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(PullError, match="symbolic link"):
        _pull(web, tmp_path / "pub")


def test_another_model_or_a_wrong_generation_folder_is_refused(tmp_path, settings, builder, web):
    publish(settings.data_dir, tmp_path / "pub")

    class Other(FakeEmbedder):
        name = "another-model"
    with pytest.raises(PullError, match="another-model"):
        pull(web, str(tmp_path / "pub"), embedder=Other())
    with pytest.raises(PullError, match="missing"):
        _pull(web, tmp_path / "pub", generation=7)
    _rewrite_manifest(tmp_path / "pub" / "gen-000001", lambda m: m.update(generation=5))
    with pytest.raises(PullError, match="not the one its folder"):
        _pull(web, tmp_path / "pub")
    assert not (web.data_dir / "index.db").exists()


def test_publish_keeps_n_generations_and_refuses_a_rebuilt_data_folder(tmp_path, settings, builder):
    for i in range(4):
        if i:
            _rebuild(settings, builder, f"Residents of Porto reach service number {i} through one portal.")
        report = publish(settings.data_dir, tmp_path / "pub", keep=2)
    assert report.generation == 4 and report.removed == ["gen-000002"]
    assert sorted(p.name for p in (tmp_path / "pub").iterdir()) == [LATEST, "gen-000003", "gen-000004"]
    fresh = load_settings({}, UCC_DATA_DIR=str(tmp_path / "fresh"))
    build_index([builder], fresh, embedder=FakeEmbedder())
    for _ in range(2):
        _rebuild(fresh, builder, "A different text makes a different generation here.")
    _rebuild(fresh, builder, "And once more, to reach generation four.")
    with pytest.raises(PublishError, match="rebuilt from scratch"):
        publish(fresh.data_dir, tmp_path / "pub")
    with pytest.raises(PublishError, match="must not contain"):
        publish(settings.data_dir, settings.data_dir / "pub")


def test_rolling_back_to_an_older_generation_takes_a_new_number(tmp_path, settings, builder, web):
    publish(settings.data_dir, tmp_path / "pub")
    old = _hits(settings)
    _rebuild(settings, builder, "Residents of Porto reach every service through one single portal.")
    publish(settings.data_dir, tmp_path / "pub")
    assert _pull(web, tmp_path / "pub").generation == 2
    back = _pull(web, tmp_path / "pub", generation=1)
    assert back.pulled and back.published_generation == 1 and back.generation == 3  # numbers only grow here
    assert _hits(web) == old
    assert not check_data_dir(web.data_dir).errors


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def http_root(tmp_path):
    """A local http.server on 127.0.0.1 serving tmp_path/pub (stopped after the test)."""
    (tmp_path / "pub").mkdir(exist_ok=True)
    handler = functools.partial(_QuietHandler, directory=str(tmp_path / "pub"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_pull_over_http(tmp_path, settings, builder, web, http_root):
    publish(settings.data_dir, tmp_path / "pub")
    report = _pull(web, http_root, timeout=5)
    assert report.pulled and report.generation == 1 and report.source == http_root
    assert _hits(web) == _hits(settings)
    assert not _pull(web, http_root.rstrip("/"), timeout=5).pulled
    data = bytearray((tmp_path / "pub" / "gen-000001" / "faiss" / "gen-000001.index").read_bytes())
    _rebuild(settings, builder, "Residents of Porto reach every service through one single portal.")
    publish(settings.data_dir, tmp_path / "pub")
    target = tmp_path / "pub" / "gen-000002" / "faiss" / "gen-000002.index"
    target.write_bytes(target.read_bytes() + bytes(data[:64]))  # longer than the manifest says
    with pytest.raises(PullError, match="has .* bytes; its manifest says"):
        _pull(web, http_root, timeout=5)
    with pytest.raises(PullError, match="HTTP 404"):
        _pull(web, http_root, generation=9, timeout=5)
    assert Searcher(web, embedder=FakeEmbedder()).live().id == 1


def test_cli_publish_and_pull_json(tmp_path, settings, builder, monkeypatch):
    runner = CliRunner()
    result = runner.invoke(main, ["publish", str(tmp_path / "pub"), "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["published"] is True
    monkeypatch.setenv("UCC_DATA_DIR", str(tmp_path / "web"))
    monkeypatch.setattr("indexer.embedders.get_embedder", lambda settings: FakeEmbedder())
    result = runner.invoke(main, ["pull", str(tmp_path / "pub"), "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["pulled"] is True and data["generation"] == 1 and data["bytes"] > 0
    result = runner.invoke(main, ["pull", str(tmp_path / "pub")])
    assert result.exit_code == 0 and "live already" in result.output
    (tmp_path / "pub" / LATEST).write_text("../../etc\n")
    result = runner.invoke(main, ["pull", str(tmp_path / "pub")])
    assert result.exit_code == 1 and "does not name a generation folder" in result.output
    for name in ("publish", "pull"):
        assert "Example:" in runner.invoke(main, [name, "--help"]).output


def test_index_publish_builds_and_publishes(tmp_path, settings, builder, monkeypatch):
    monkeypatch.setattr("indexer.build.get_embedder", lambda settings: FakeEmbedder())
    result = CliRunner().invoke(main, ["index", str(builder), "--publish", str(tmp_path / "pub"), "--json"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["generation"] is None and data["published"]["generation"] == 1  # nothing changed, still published
    assert bk.read_manifest(tmp_path / "pub" / "gen-000001")["generation"] == 1


def test_searches_never_fail_while_generations_are_pulled(tmp_path, settings, builder, web):
    publish(settings.data_dir, tmp_path / "pub")
    _pull(web, tmp_path / "pub")
    searcher = Searcher(web, embedder=FakeEmbedder())
    stop, seen, errors = threading.Event(), set(), []

    def search():
        while not stop.is_set():
            try:
                result = searcher.search("single portal residents pre-primary", k=5)
                seen.add(result.generation)
                assert result.hits
            except Exception as exc:  # noqa: BLE001 - collected, the test fails on any
                errors.append(exc)

    threads = [threading.Thread(target=search) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        for i in range(3):
            _rebuild(settings, builder, f"Residents of Porto reach service {i} through one single portal.")
            publish(settings.data_dir, tmp_path / "pub")
            _pull(web, tmp_path / "pub")
    finally:
        stop.set()
        for t in threads:
            t.join(10)
    assert not errors, errors[:3]
    assert searcher.search("single portal", k=1).generation == 4 and len(seen) >= 2


def test_a_build_of_another_folder_over_a_pulled_index_is_refused(tmp_path, settings, builder, web):
    publish(settings.data_dir, tmp_path / "pub")
    _pull(web, tmp_path / "pub")
    elsewhere = make_kb(tmp_path / "web-kb")  # the same files under another path
    with pytest.raises(InvalidRequest, match="pulled from a build host"):
        build_index([elsewhere], web, embedder=FakeEmbedder())
    assert build_index([builder], web, embedder=FakeEmbedder()).generation is None  # the build host's folder: fine
    assert _hits(web) == _hits(settings)


@pytest.mark.model
def test_a_running_ucc_serve_answers_from_each_pulled_generation(tmp_path, real_embedder):
    """A real `ucc serve --no-index` on a web host's data folder; the build host builds and
    publishes three times, `ucc pull` (the command, as a timer runs it) brings each in: the server
    answers from each one without a restart, and no search fails meanwhile."""
    import signal
    import subprocess
    import sys
    import time

    from .conftest import REPO
    from .ports import free_port
    from .test_serve import MARKER, SNOW, WORDS, _get, _wait_ready

    kb = tmp_path / "kb"
    write(kb / "snow.md", SNOW)
    write(kb / "marker.md", MARKER.format(n=0, word=WORDS[0]))
    build = load_settings({}, UCC_DATA_DIR=str(tmp_path / "build"), UCC_KNOWLEDGE_DIR=str(kb))
    build_index([kb], build, embedder=real_embedder)
    publish(build.data_dir, tmp_path / "pub")
    env = {k: v for k, v in os.environ.items() if not k.startswith("UCC_")}
    env.update(UCC_DATA_DIR=str(tmp_path / "web"), UCC_KNOWLEDGE_DIR=str(tmp_path / "web-kb"), UCC_RATE_LIMIT="0",
               UCC_WORKERS="2", UCC_THREADS="1", PYTHONUNBUFFERED="1")

    def ucc_pull() -> dict:
        done = subprocess.run([sys.executable, "-m", "app", "pull", str(tmp_path / "pub"), "--json"], cwd=REPO, env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
        return json.loads(done.stdout)

    assert ucc_pull()["generation"] == 1
    port = free_port()
    with open(tmp_path / "serve.log", "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "app", "serve", "--no-index", "--port", str(port)], cwd=REPO,
                                env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    stop, failures, seen = threading.Event(), [], []

    def search() -> None:
        while not stop.is_set():
            try:
                status, body = _get(port, "/api/v1/search?q=permit+office+code+word&k=3", timeout=30)
                doc = json.loads(body)
                if status != 200:
                    failures.append((status, body[:200]))
                else:
                    seen.append((doc["generation"], doc["hits"][0]["passages"][0]["text"]))
            except Exception as exc:  # noqa: BLE001 - any failed request counts
                failures.append(repr(exc))

    hammer = threading.Thread(target=search)
    try:
        _wait_ready(port, proc, time.time() + 180)
        hammer.start()
        for n in range(1, 4):
            write(kb / "marker.md", MARKER.format(n=n, word=WORDS[n]))
            build_index([kb], build, embedder=real_embedder)
            publish(build.data_dir, tmp_path / "pub")
            assert ucc_pull()["generation"] == n + 1
            deadline = time.time() + 30
            while time.time() < deadline and not any(g == n + 1 for g, _ in seen[-5:]):
                time.sleep(0.1)
            assert any(g == n + 1 and WORDS[n] in text for g, text in seen[-5:]), seen[-5:]
        assert not ucc_pull()["pulled"]  # the timer's next run: nothing to do
    finally:
        stop.set()
        if hammer.is_alive():
            hammer.join(60)
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    assert not failures, failures[:3]
    for gen, text in seen:  # every answer from one whole generation
        assert WORDS[gen - 1] in text, (gen, text)
    assert "Traceback" not in (tmp_path / "serve.log").read_text()

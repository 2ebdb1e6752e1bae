"""The chat widget's HTTP face: /widget.js and the demo host page (Flask test client, no browser)."""

from __future__ import annotations

import re

import pytest

from app.web import create_app
from app.web.widget import CONFIG_MARK, SCRIPT, script_body, starters
from indexer.settings import load_settings


@pytest.fixture
def client(settings):
    return create_app(settings).test_client()


def test_widget_js_is_served_as_javascript_with_an_etag(client):
    r = client.get("/widget.js")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/javascript; charset=utf-8"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert "max-age" in r.headers["Cache-Control"] and "public" in r.headers["Cache-Control"]
    assert r.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    etag = r.headers["ETag"]
    assert etag and r.get_data() == script_body({"starters": starters(load_settings().widget_starters)})
    assert r.get_data().replace(b"/*@ucc-config*/{\"starters\":", b"").startswith(SCRIPT.read_bytes()[:200])

    again = client.get("/widget.js", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    assert client.get("/widget.js", headers={"If-None-Match": '"stale"'}).status_code == 200
    assert client.head("/widget.js").status_code == 200


def test_widget_js_has_no_html_sinks_and_no_third_party_urls():
    source = SCRIPT.read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function",
                 "localStorage", "document.cookie", "setAttribute(\"on", "DOMParser", "createContextualFragment"):
        assert sink not in source, sink
    # No request goes anywhere but data-endpoint: no absolute URLs in the code (comments and the
    # SVG namespace, which is a name, not a request, aside).
    code = re.sub(r"/\*.*?\*/|^\s*//[^\n]*", "", source, flags=re.S | re.M)
    assert "function ask(" in code
    # The conversation is kept for the tab only: one use of sessionStorage, under one key.
    assert code.count("sessionStorage") == 1 and 'STORE_KEY = "ucc-assistant:" + endpoint' in code
    assert code.count('"http://www.w3.org/2000/svg"') == 1
    assert not re.search(r"https?://", code.replace('"http://www.w3.org/2000/svg"', ""))
    assert "attachShadow" in source and 'mode: "open"' in source
    assert "credentials: \"omit\"" in source and 'channel: "widget"' in source


def test_widget_js_stays_small():
    """The size budget: what a visitor's browser downloads, gzipped, stays under 20 KB (14.5 KB now)."""
    import gzip

    body = script_body({"starters": starters(load_settings().widget_starters)})
    assert len(gzip.compress(body, 9)) <= 20_000


def test_widget_js_parses_as_a_script(tmp_path):
    import shutil
    import subprocess

    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the syntax check needs it (the browser tests run the script anyway)")
    done = subprocess.run([node, "--check", str(SCRIPT)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    # The served script, with starters that try to break out of the JSON, still parses.
    served = tmp_path / "served.js"
    served.write_bytes(script_body({"starters": starters('a"}); alert(1); ({"|*/ x /*|</script>|\u2028|é')}))
    done = subprocess.run([node, "--check", str(served)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_starters_come_from_the_setting_into_the_served_script(tmp_path):
    assert SCRIPT.read_bytes().count(CONFIG_MARK) == 1
    assert starters(" How?  | |How?|" + "x" * 300 + "|" + "|".join(f"q{i}" for i in range(9))) == \
        ["How?", "x" * 200, "q0", "q1", "q2", "q3"]
    assert starters("|") == [] and starters("") == []

    def served(raw: str | None):
        env = {"UCC_DATA_DIR": str(tmp_path / "var")}
        if raw is not None:
            env["UCC_WIDGET_STARTERS"] = raw
        r = create_app(load_settings(env)).test_client().get("/widget.js")
        config = re.search(rb"/\*@ucc-config\*/(\{.*?\});\n", r.get_data())
        assert config, "the configuration mark was not filled in"
        import json
        return json.loads(config.group(1)), r.headers["ETag"]

    default, etag_default = served(None)
    assert len(default["starters"]) == 4 and all(q.endswith("?") or q.startswith("Examples") for q in default["starters"])
    mine, etag_mine = served("Who runs the network? | How do cities co-design services?")
    assert mine == {"starters": ["Who runs the network?", "How do cities co-design services?"]}
    assert etag_mine != etag_default  # browsers get the new starters, not a 304 for the old ones
    assert served("|")[0] == {"starters": []}
    # Non-ASCII and markup arrive as JSON escapes: plain ASCII in the script, text in the widget.
    hostile, _ = served("<img src=x onerror=alert(1)>|Œuvre d’art?")
    assert hostile["starters"] == ["<img src=x onerror=alert(1)>", "Œuvre d’art?"]


def test_demo_page_embeds_the_one_tag_and_no_inline_script(client):
    r = client.get("/widget/demo", base_url="http://assistant.example")
    assert r.status_code == 200 and r.mimetype == "text/html"
    html = r.get_data(as_text=True)
    tags = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, flags=re.S | re.I)
    assert len(tags) == 1
    attrs, body = tags[0]
    assert body.strip() == ""  # no inline script: the CSP (script-src 'self') would block it anyway
    assert 'src="http://assistant.example/widget.js"' in attrs
    assert 'data-endpoint="http://assistant.example"' in attrs
    for attr in ("data-title=", 'data-lang="en"', "data-accent=", " async"):
        assert attr in attrs
    assert not re.search(r"\son[a-z]+\s*=", html, flags=re.I)  # no inline event handlers either
    assert "button" in html and "!important" in html  # the hostile global CSS that proves isolation
    assert r.headers["Cache-Control"] == "no-store"


def test_demo_page_escapes_the_host_header(client):
    r = client.get("/widget/demo", headers={"Host": 'evil.example"><script>alert(1)</script>'})
    html = r.get_data(as_text=True)
    assert "<script>alert(1)" not in html


def test_security_headers_on_widget_responses(client):
    for path in ("/widget.js", "/widget/demo"):
        r = client.get(path)
        csp = r.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp.split("script-src", 1)[1].split(";")[0]
        assert "object-src 'none'" in csp
        assert r.headers["X-Content-Type-Options"] == "nosniff"

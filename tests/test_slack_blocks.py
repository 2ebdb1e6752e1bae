"""Block Kit builders of the Slack bot: pure functions, no Slack needed."""

import json

from app.errors import UnknownCity
from bots import blocks as kit
from bots.stores import EventDedupe, ThreadMap

RESULT = {
    "status": "answered",
    "intent": "answer",
    "answer": "Use one-stop shops & <portals> [1].",
    "citations": [{"n": 1, "title": "Tallinn <e-services> & more", "url": "https://x.example/a?b=1&c=2",
                   "source": "a.md", "city": "tallinn", "city_name": "Tallinn", "kind": "case", "snippet": "",
                   "page": None}],
    "related": [{"doc_id": "d", "title": "Espoo portal", "city": "espoo", "city_name": "Espoo", "url": None}],
    "follow_ups": ["What about Madrid?"],
}


def _text(blocks):
    return json.dumps(blocks, ensure_ascii=False)


def test_escape_follows_slack_rules():
    assert kit.escape("a & b <c> d") == "a &amp; b &lt;c&gt; d"


def test_answer_blocks_have_text_numbered_links_related_and_feedback():
    blocks = kit.answer_blocks(RESULT, "ans123")
    assert blocks[0]["text"]["text"] == "Use one-stop shops &amp; &lt;portals&gt; [1]."
    sources = blocks[1]["text"]["text"]
    assert "[1] <https://x.example/a?b=1&c=2|Tallinn &lt;e-services&gt; &amp; more> — Tallinn" in sources
    assert "Espoo portal" in _text(blocks) and "What about Madrid?" in _text(blocks)
    buttons = blocks[-1]["elements"]
    assert [b["action_id"] for b in buttons] == ["feedback_up", "feedback_down"]
    assert {b["value"] for b in buttons} == {"ans123"}


def test_no_feedback_buttons_without_an_answer_id():
    assert all(b["type"] != "actions" for b in kit.answer_blocks(RESULT, None))


def test_long_answers_are_clipped_to_slack_limits():
    blocks = kit.answer_blocks({**RESULT, "answer": "x" * 5000}, "a")
    assert len(blocks[0]["text"]["text"]) <= 3000


def test_scores_are_a_code_block_table_with_revision_and_label():
    data = {"name": "Madrid", "percent": 71.4, "revision": "2023", "source": "dashboard.xlsx",
            "label": "self-assessment",
            "subindicators": [{"id": "P1", "name": "Online services", "yes": 5, "total": 7, "colour": "green"},
                              {"id": "P2", "name": "Feedback", "yes": 1, "total": 4, "colour": "red"}]}
    blocks = kit.scores_blocks(data)
    table = blocks[1]["text"]["text"]
    assert table.startswith("```") and "P1" in table and "5/7" in table and "1/4" in table
    assert "self-assessment" in blocks[2]["elements"][0]["text"]
    assert "2023" in blocks[2]["elements"][0]["text"]
    only = kit.scores_blocks(data, "P2")[1]["text"]["text"]
    assert "P2" in only and "P1" not in only


def test_question_problems():
    assert "ask me a question" in kit.question_problem("  ")
    assert "2,000" in kit.question_problem("x" * 4000)
    assert kit.question_problem("How do cities do X?") is None


def test_error_text_shows_ucc_errors_and_hides_others():
    assert "Did you mean" in kit.error_text(UnknownCity("Madird", ["Madrid"]))
    assert "Traceback" not in kit.error_text(RuntimeError("secret internals"))
    assert "secret" not in kit.error_text(RuntimeError("secret internals"))


def test_dedupe_survives_restart_and_expires(tmp_path):
    now = [1000.0]
    d = EventDedupe(tmp_path, clock=lambda: now[0])
    assert d.claim("event:E1") and not d.claim("event:E1")
    d2 = EventDedupe(tmp_path, clock=lambda: now[0])  # a restart
    assert not d2.claim("event:E1")
    now[0] += 3601
    assert d2.claim("event:E1")


def test_thread_map(tmp_path):
    t = ThreadMap(tmp_path)
    assert t.lookup("C1", "1.0") is None
    t.remember("C1", "1.0", "conv-1")
    assert t.lookup("C1", "1.0") == "conv-1"


HOSTILE_URLS = ["javascript:alert(document.cookie)", " JavaScript:alert(1)", "data:text/html,<script>x</script>",
                "vbscript:msgbox(1)", "file:///etc/passwd", "slack://channel?id=C1", "//evil.example/x",
                "https:/no-host", "https://", "http://exa mple.org/", "https://x.example/\x1b[31m"]


def test_only_http_links_reach_slack():
    """A knowledge entry's url becomes a link only when it is http(s), wherever the bot shows
    one: sources, related items, nearest matches and examples (issue 16, point 8)."""
    for url in HOSTILE_URLS:
        assert kit.link(url, "Guide") == "Guide", url
        result = {**RESULT,
                  "citations": [{**RESULT["citations"][0], "url": url}],
                  "related": [{"doc_id": "d", "title": "Rel", "city": "espoo", "url": url}],
                  "nearest": [{"title": "Near", "url": url}]}
        text = _text(kit.answer_blocks(result, "a1") + kit.examples_blocks("x", [{"title": "Ex", "url": url}]))
        scheme = url.strip().split(":", 1)[0].lower()
        assert f"<{url.strip()}" not in text and f"<{scheme}:" not in text.lower(), (url, text)
        for label in ("Tallinn", "Rel", "Near", "Ex"):
            assert label in text
    assert kit.link("https://x.example/a?b=1", "Ok") == "<https://x.example/a?b=1|Ok>"
    assert kit.link("HTTP://X.example/", "Ok") == "<HTTP://X.example/|Ok>"


def test_an_answer_without_text_shows_plain_words_never_an_outcome_code():
    refused = kit.answer_blocks({"status": "cannot_answer", "reason": "outside_scope", "answer": "",
                                 "notes": ["This does not look like a question about public services."]}, "a")
    assert "public services" in refused[0]["text"]["text"] and "outside_scope" not in str(refused)
    bare = kit.answer_blocks({"status": "cannot_answer", "reason": "no_content", "answer": ""}, "a")
    assert "no_content" not in str(bare) and "nothing in the knowledge base" in bare[0]["text"]["text"]
    vague = kit.answer_blocks({"status": "need_more_detail", "answer": "", "clarifying_options": [{"question": "Q?"}]}, "a")
    assert vague[0]["text"]["text"].startswith("Could you say a little more")

"""Block Kit for the bot's replies: pure functions from the assistant's results to Slack blocks."""

from __future__ import annotations

from typing import Any

from app.links import http_url

SECTION_LIMIT = 2900  # Slack allows 3,000 characters in a section's text


def escape(text: Any) -> str:
    """Escape user-visible text the way Slack asks: &, < and > only."""
    return str(text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def link(url: str | None, title: Any) -> str:
    """A Slack link to ``url``, or only its label when ``url`` is not an http(s) URL (a knowledge
    entry's ``javascript:`` or ``data:`` url never becomes a link)."""
    label = escape(title).replace("|", "¦") or "source"
    target = http_url(url)
    if not target:
        return label
    return f"<{target.replace('<', '%3C').replace('>', '%3E').replace('|', '%7C')}|{label}>"


def _clip(text: str, limit: int = SECTION_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _clip(text) or " "}}


def context(text: str) -> dict:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": _clip(text)}]}


def feedback_buttons(answer_id: str | None) -> list[dict]:
    if not answer_id:
        return []
    return [{
        "type": "actions",
        "block_id": "feedback",
        "elements": [
            {"type": "button", "action_id": "feedback_up", "value": answer_id,
             "text": {"type": "plain_text", "text": "👍 Helpful", "emoji": True}},
            {"type": "button", "action_id": "feedback_down", "value": answer_id,
             "text": {"type": "plain_text", "text": "👎 Not helpful", "emoji": True}},
        ],
    }]


def share_button(share_id: str | None) -> list[dict]:
    if not share_id:
        return []
    return [{
        "type": "actions",
        "block_id": "share",
        "elements": [{"type": "button", "action_id": "share_in_channel", "value": share_id,
                      "text": {"type": "plain_text", "text": "Share in channel"}}],
    }]


# What an answer without text says, by status: the same words as the widget's, never an outcome code.
NO_ANSWER = {
    "need_more_detail": "Could you say a little more? For example, ask about one of these:",
    "cannot_answer": "Sorry, nothing in the knowledge base answers this closely enough.",
}


def answer_blocks(result: dict, answer_id: str | None = None) -> list[dict]:
    """An answer: its text, its structured parts (score tables, cities with reasons, examples with
    links, numbered sources), suggestions and 👍/👎."""
    blocks = [section(escape(result.get("answer") or " ".join(result.get("notes") or [])
                             or NO_ANSWER.get(result.get("status"), NO_ANSWER["cannot_answer"])))]
    parts = result.get("parts")
    if parts is None:  # an older result without parts: its citations are the one part
        parts = [{"type": "citations", "items": result.get("citations") or []}]
    for part in parts:
        blocks.extend(part_blocks(part))
    options = result.get("clarifying_options") or []
    if options:
        blocks.append(section("*Did you mean…*\n" + "\n".join(f"• {escape(o.get('question') or o.get('label'))}"
                                                          for o in options)))
    nearest = result.get("nearest") or []
    if nearest:
        blocks.append(section("*Nearest in the knowledge base*\n" + "\n".join(
            f"• {link(n.get('url'), n.get('title'))}" for n in nearest[:5])))
    related = result.get("related") or []
    if related:
        items = [f"{link(r.get('url'), r.get('title'))} ({escape(r.get('city_name') or r.get('city') or '')})"
                 for r in related[:5]]
        blocks.append(context("*Related in other cities:* " + "; ".join(items)))
    follow_ups = result.get("follow_ups") or []
    if follow_ups:
        blocks.append(context("*You could also ask:* " + " · ".join(escape(q) for q in follow_ups[:3])))
    return blocks[:45] + feedback_buttons(answer_id)  # Slack allows 50 blocks a message


def part_blocks(part: dict) -> list[dict]:
    """One structured part of an answer as Slack blocks."""
    kind, title = part.get("type"), escape(part.get("title") or "")
    if kind == "citations":
        lines = []
        for c in part.get("items") or []:
            city = f" — {escape(c.get('city_name') or c.get('city'))}" if (c.get("city_name") or c.get("city")) else ""
            lines.append(f"[{c.get('n')}] {link(c.get('url'), c.get('title'))}{city}")
        return [section("*Sources*\n" + "\n".join(lines))] if lines else []
    if kind in ("score_table", "table"):
        columns = [str(c) for c in part.get("columns") or []]
        rows = [[str(x) for x in row] for row in part.get("rows") or []]
        if not rows:
            return []
        widths = [max(len(r[i]) if i < len(r) else 0 for r in [columns] + rows) for i in range(len(columns))]
        widths = [min(w, 40) for w in widths]
        lines = ["  ".join(c[:40].ljust(w) for c, w in zip(r, widths)).rstrip() for r in [columns] + rows]
        if part.get("totals"):
            lines.append("  ".join(["Overall".ljust(widths[0])] + [f"{t}%".ljust(w) for t, w in
                                                                  zip(part["totals"], widths[1:])]).rstrip())
        out = [section(f"*{title}*\n```{_clip(escape(chr(10).join(lines)), SECTION_LIMIT - 60)}```")]
        if part.get("note"):
            out.append(context(escape(part["note"])))
        return out
    if kind == "cities":
        lines = [f"• *{escape(i.get('name'))}*" + (f" — {escape(i.get('why'))}" if i.get("why") else "")
                 for i in (part.get("items") or [])[:12]]
        return [section(f"*{title}*\n" + "\n".join(lines))] if lines else []
    if kind == "examples":
        return _example_lines(title, part.get("items") or [])
    return []


def _example_lines(title: str, items: list[dict]) -> list[dict]:
    lines = []
    for e in items:
        who = escape(e.get("city_name") or e.get("city") or "")
        year = f", {e['year']}" if e.get("year") else ""
        summary = escape(str(e.get("summary") or "")[:200])
        lines.append(f"• {link(e.get('url'), e.get('title'))} ({who}{year})" + (f"\n   {summary}" if summary else ""))
    return [section(f"*{title}*\n" + "\n".join(lines))] if lines else []


def scores_table(data: dict, subindicator: str | None = None) -> str:
    subs = data.get("subindicators") or []
    if subindicator:
        subs = [s for s in subs if str(s.get("id", "")).lower() == subindicator.lower()] or subs
    width = max([len(str(s.get("name", ""))[:40]) for s in subs] + [4])
    rows = [f"{'id':<5} {'name':<{width}} {'yes':>7}  colour"]
    for s in subs:
        rows.append(f"{str(s.get('id', '')):<5} {str(s.get('name', ''))[:40]:<{width}} "
                    f"{str(s.get('yes')) + '/' + str(s.get('total')):>7}  {s.get('colour', '')}")
    return "\n".join(rows)


def scores_blocks(data: dict, subindicator: str | None = None) -> list[dict]:
    """Benchmark scores: a compact table in a code block, with the revision and the self-assessment label."""
    head = f"*{escape(data.get('name') or data.get('city'))}* — {data.get('percent')}% on the UserCentriCities dashboard"
    label = escape(data.get("label") or "self-assessment")
    table = escape(scores_table(data, subindicator))
    return [
        section(head),
        section(f"```{_clip(table, SECTION_LIMIT - 10)}```"),
        context(f"{label} · dashboard revision {escape(data.get('revision'))} · source: {escape(data.get('source'))}"),
    ]


def ranking_blocks(data: dict) -> list[dict]:
    rows = [f"{r.get('rank'):>3}. {str(r.get('name'))[:30]:<30} {r.get('percent')}%" for r in data.get("ranking", [])]
    return [
        section("*UserCentriCities dashboard ranking*"),
        section(f"```{_clip(escape(chr(10).join(rows)), SECTION_LIMIT - 10)}```"),
        context(f"{escape(data.get('label') or 'self-assessment')} · dashboard revision {escape(data.get('revision'))}"
                f" · source: {escape(data.get('source'))}"),
    ]


def similar_blocks(data: dict) -> list[dict]:
    lines = [f"• *{escape(m.get('name'))}* ({m.get('score')}) — {escape(m.get('why'))}" for m in data.get("matches", [])]
    return [section(f"*Members most like {escape(data.get('name'))}*\n" + ("\n".join(lines) or "None found."))]


def learn_blocks(data: dict) -> list[dict]:
    return [section(escape(data.get("summary") or "Nothing to suggest yet."))]


def examples_blocks(topic: str, items: list[dict]) -> list[dict]:
    if not items:
        return [section(f"No service or case in the knowledge base is close enough to “{escape(topic)}”.")]
    return _example_lines(f"Examples on “{escape(topic)}”", items)


def message_blocks(text: str) -> list[dict]:
    return [section(escape(text))]


HELP = (
    "*UserCentriCities assistant* — ask about the services, cases and benchmark of 26 European cities.\n"
    "• Mention me in a channel (`@UCC assistant how do cities handle digital identity?`) — I answer in a thread; "
    "reply in that thread to follow up.\n"
    "• Send me a direct message.\n"
    "• `/ucc ask <question>` · `/ucc similar <city>` · `/ucc scores <city> [subindicator]` · "
    "`/ucc learn <city>` · `/ucc examples <topic>` · `/ucc help`\n"
    "• `/ucc config` shows this channel's settings; admins can set `mode all|mention`, "
    "`filter city=ghent` / `filter clear` and `lang en`."
)


def help_blocks() -> list[dict]:
    return [section(HELP)]


def question_problem(question: str | None) -> str | None:
    """Slack's words for a question the assistant refuses (:func:`app.answering.answers.check_question`:
    empty or over-long); None when it can be asked."""
    from app.answering.answers import check_question
    from app.errors import EmptyQuestion, QuestionTooLong

    try:
        check_question((question or "").strip())
    except EmptyQuestion:
        return "Please ask me a question, e.g. “How do cities run one-stop shops for residents?”. Type `/ucc help` for more."
    except QuestionTooLong as exc:
        return (f"That question is {exc.length:,} characters long; please keep it under {exc.limit:,} "
                "characters (one question at a time works best).")
    return None


def error_text(error: BaseException) -> str:
    from indexer.errors import UccError

    if isinstance(error, UccError):
        return str(error)
    return "Sorry, something went wrong while answering. Please try again in a moment."


def fallback_text(blocks: list[dict]) -> str:
    """Plain text for notifications (the `text` Slack wants alongside blocks)."""
    for b in blocks:
        if b.get("type") == "section":
            return b["text"]["text"][:300]
    return "UserCentriCities assistant"

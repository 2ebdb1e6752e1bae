"""Buttons: 👍/👎 feedback (stored in the question log) and "Share in channel".

Plain functions; ``bot`` (:class:`bots.bot.Bot`) comes from bolt's context."""

from __future__ import annotations

from indexer.errors import UccError

from bots import blocks as kit


def register(app) -> None:
    app.action("feedback_up")(handle_feedback_up)
    app.action("feedback_down")(handle_feedback_down)
    app.action("share_in_channel")(handle_share)


def handle_feedback_up(ack, action, respond, bot):
    record_feedback(bot, "up", ack, action, respond)


def handle_feedback_down(ack, action, respond, bot):
    record_feedback(bot, "down", ack, action, respond)


def record_feedback(bot, rating: str, ack, action, respond) -> None:
    ack()
    try:
        bot.assistant.record_feedback(action.get("value"), rating)
        text = "Thanks for the feedback!" if rating == "up" else "Thanks — the moderators will look at this answer."
    except UccError as e:
        text = kit.error_text(e)
    respond(response_type="ephemeral", replace_original=False, text=text)


def handle_share(ack, action, respond, bot):
    ack()
    payload = bot.shares.get(action.get("value") or "")
    if payload is None:
        respond(response_type="ephemeral", replace_original=False,
                text="This answer can no longer be shared; please ask again.")
        return
    respond(response_type="in_channel", replace_original=False, delete_original=True,
            blocks=payload["blocks"], text=payload["text"])

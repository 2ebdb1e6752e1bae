"""Buttons: 👍/👎 feedback (stored in the question log) and "Share in channel"."""

from __future__ import annotations

from indexer.errors import UccError

from .. import blocks as kit
from .common import bot_for


def register(app, assistant, settings) -> None:
    bot = bot_for(app, assistant, settings)

    def feedback(rating: str):
        def handler(ack, action, respond):
            ack()
            try:
                bot.assistant.record_feedback(action.get("value"), rating)
                text = "Thanks for the feedback!" if rating == "up" else \
                    "Thanks — the moderators will look at this answer."
            except UccError as e:
                text = kit.error_text(e)
            respond(response_type="ephemeral", replace_original=False, text=text)

        return handler

    app.action("feedback_up")(feedback("up"))
    app.action("feedback_down")(feedback("down"))

    @app.action("share_in_channel")
    def share(ack, action, respond):
        ack()
        payload = bot.shares.get(action.get("value") or "")
        if payload is None:
            respond(response_type="ephemeral", replace_original=False,
                    text="This answer can no longer be shared; please ask again.")
            return
        respond(response_type="in_channel", replace_original=False, delete_original=True,
                blocks=payload["blocks"], text=payload["text"])

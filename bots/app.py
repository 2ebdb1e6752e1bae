"""Build the Slack bot: a slack-bolt App over the assistant.

The bot's state (:class:`bots.bot.Bot`) goes into bolt's context first (:func:`bots.bot.inject`);
then the response_url guard and the retry filter run; the listeners of bots/listeners/ are plain
functions registered per module. :mod:`bots.flask_adapter` serves the App over HTTP at
/slack/events; :mod:`bots.run` runs it (Socket Mode or HTTP under gunicorn, ``ucc slack``). This
module imports neither.
"""

from __future__ import annotations

import json
import logging

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient

from bots import blocks as kit
from bots.bot import Bot, inject
from bots.listeners import register_listeners

log = logging.getLogger("ucc.slack")
BOLT_VERIFICATION_LOGGER = "slack_bolt.RequestVerification"


class WithholdBodies(logging.Filter):
    """slack-bolt logs a rejected request with its body (a user's message, their ids) at INFO;
    keep the fact and the time, drop the body: no personal data in logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "body:" in message:
            record.msg = message.split("body:", 1)[0].rstrip(" ,") + " body withheld)"
            record.args = ()
        return True


def bot_enabled(settings, socket_mode: bool = False) -> tuple[bool, str]:
    """Whether the credentials the bot needs are set; if not, how to set them."""
    missing = []
    if not settings.slack_bot_token:
        missing.append("SLACK_BOT_TOKEN (the bot's xoxb- token: OAuth & Permissions in your Slack app)")
    if socket_mode and not settings.slack_app_token:
        missing.append("SLACK_APP_TOKEN (an xapp- token with connections:write: Basic Information > App-Level Tokens)")
    if not socket_mode and not settings.slack_signing_secret:
        missing.append("SLACK_SIGNING_SECRET (Basic Information > App Credentials)")
    if missing:
        return False, ("The Slack bot is off. To turn it on, create a Slack app from bots/manifest.json and set "
                       + "; ".join(missing) + ".")
    return True, "The Slack bot is on (" + ("Socket Mode" if socket_mode else "HTTP, POST /slack/events") + ")."


def build_app(settings, assistant, client: WebClient | None = None, **app_kwargs) -> App:
    """A bolt App answering mentions, DMs, thread follow-ups, /ucc and the reply buttons."""
    if client is None:
        client = WebClient(token=settings.slack_bot_token or None, base_url=settings.slack_api_url)
    app = App(
        client=client,
        signing_secret=settings.slack_signing_secret or "",
        process_before_response=False,
        **app_kwargs,
    )
    verification = logging.getLogger(BOLT_VERIFICATION_LOGGER)
    if not any(isinstance(f, WithholdBodies) for f in verification.filters):
        verification.addFilter(WithholdBodies())
    bot = Bot(assistant, settings)
    app.use(inject(bot))
    app.use(guard_response_urls)
    app.use(bot.dedupe.middleware())
    register_listeners(app)
    app.error(handle_error)
    return app


def handle_error(error, body, logger, context, respond=None, say=None):
    """A listener failed: log it and tell the user in a polite sentence, where they asked."""
    logger.exception("Slack listener failed: %s", error)
    text = kit.error_text(error)
    bot = context.get("bot") if context is not None else None
    try:
        if respond is not None and isinstance(body, dict) and body.get("response_url"):
            if bot is None or not bot.allows_response_url(body["response_url"]):
                return  # never reached: the guard refuses such requests before any listener
            respond(response_type="ephemeral", replace_original=False, text=text)
        elif say is not None:
            event = body.get("event") if isinstance(body, dict) else None
            event = event if isinstance(event, dict) else {}
            say(text=text, thread_ts=event.get("thread_ts") or event.get("ts"))
    except Exception:  # the reply itself failed: nothing more to do than log it
        logger.exception("Could not tell the user about the error")


def guard_response_urls(body, next, logger, bot):
    """A middleware refusing a request whose ``response_url`` points anywhere but Slack's hosts:
    the bot answers through that URL, so it must never be one that a body can choose."""
    urls = []
    if isinstance(body, dict):
        urls.append(body.get("response_url"))
        for item in body.get("response_urls") if isinstance(body.get("response_urls"), list) else []:
            urls.append(item.get("response_url") if isinstance(item, dict) else item)
    if any(u is not None and not bot.allows_response_url(u) for u in urls):
        logger.warning("Refused a Slack request whose response_url is not on Slack's hosts")
        return BoltResponse(status=400, headers={"Content-Type": "application/json"},
                            body=json.dumps({"error": {"code": "invalid_response_url",
                                                       "message": "response_url is not on Slack's hosts."}}))
    return next()

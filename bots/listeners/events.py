"""Mentions (answered in a thread), direct messages, follow-ups in threads the bot answered,
channel questions (``/ucc config mode all``) and the assistant side panel (``assistant_thread_started``).

Plain functions; ``bot`` (:class:`bots.bot.Bot`) comes from bolt's context."""

from __future__ import annotations

from bots.listeners.common import is_question, strip_mentions

SUGGESTED_PROMPTS = (
    {"title": "Learn from on co-creation", "message": "Who should we learn from on co-creation?"},
    {"title": "Proactive services", "message": "Examples of proactive services"},
    {"title": "Ghent's scores", "message": "How does Ghent score?"},
)


def register(app) -> None:
    app.event("assistant_thread_started")(handle_assistant_thread_started)
    app.event("app_mention")(handle_mention)
    app.event("message")(handle_message)


def handle_assistant_thread_started(event, client, logger):
    thread = event.get("assistant_thread") or {}
    try:
        client.assistant_threads_setSuggestedPrompts(
            channel_id=thread.get("channel_id"), thread_ts=thread.get("thread_ts"),
            title="Ask about the services, cases and benchmark of 26 European cities",
            prompts=list(SUGGESTED_PROMPTS))
    except Exception:  # prompts are a nicety: never fail the event over them
        logger.exception("Could not set the suggested prompts")


def handle_mention(event, say, context, bot):
    if not bot.accepts(event, context) or not bot.claim_message(event):
        return
    thread = event.get("thread_ts") or event.get("ts")
    reply(bot, event, say, thread, thread)


def handle_message(event, say, context, client, bot):
    if not bot.accepts(event, context):
        return
    channel = event.get("channel", "")
    if event.get("channel_type") == "im":
        if not bot.claim_message(event):
            return
        thread = event.get("thread_ts")
        if thread:  # side-panel (assistant) threads show a status; elsewhere the call fails quietly
            set_status(client, event, "is looking through the knowledge base…")
        reply(bot, event, say, thread, thread or "dm")
        return
    thread = event.get("thread_ts")
    bot_user = (context or {}).get("bot_user_id")
    if bot_user and f"<@{bot_user}" in (event.get("text") or ""):
        return  # the app_mention event answers it
    if (not thread or thread == event.get("ts")) and event.get("user"):
        # a top-level channel message: answered only in channels set to ``/ucc config mode all``
        if bot.channels.get(channel)["mode"] == "all" and is_question(event.get("text")) \
                and bot.claim_message(event):
            reply(bot, event, say, event.get("ts"), event.get("ts"))
        return
    if not thread or thread == event.get("ts") or bot.threads.lookup(channel, thread) is None:
        return
    if not bot.claim_message(event):
        return
    reply(bot, event, say, thread, thread)


def reply(bot, event: dict, say, thread_ts: str | None, key_thread: str) -> None:
    """Answer ``event``'s text in ``thread_ts``, continuing the conversation of ``key_thread``."""
    channel = event.get("channel", "")
    conversation = bot.threads.lookup(channel, key_thread)
    filters = bot.channels.get(channel)["filters"] if event.get("channel_type") != "im" else None
    blocks, text, asked = bot.answer(strip_mentions(event.get("text")), user=event.get("user"),
                                     conversation=conversation, filters=filters)
    if asked is not None:
        bot.threads.remember(channel, key_thread, asked.conversation_id)
    say(blocks=blocks, text=text, thread_ts=thread_ts)


def set_status(client, event: dict, status: str) -> None:
    if not event.get("thread_ts"):
        return
    try:
        client.assistant_threads_setStatus(channel_id=event.get("channel"), thread_ts=event["thread_ts"],
                                           status=status)
    except Exception:  # not an assistant thread, or the scope is missing: answer anyway
        pass

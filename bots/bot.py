"""The bot's state: the assistant, the settings and the bot's stores, one :class:`Bot` per bolt App.

:func:`inject` is a bolt global middleware that puts it in each request's context, so that every
listener (bots/listeners/) takes it as its ``bot`` argument, as bolt injects ``say`` or ``client``;
nothing hangs on the App object.
"""

from __future__ import annotations

import secrets
from typing import Any, Callable

from app.asking import Asked
from app.errors import StateUnavailable
from indexer.errors import UccError

from . import blocks as kit
from .stores import ChannelSettings, EventDedupe, ShareStore, ThreadMap
from .verification import response_hosts, response_url_allowed


class Bot:
    """The state behind one bolt App."""

    def __init__(self, assistant, settings):
        self.assistant = assistant
        self.settings = settings
        data_dir, url = settings.data_dir, settings.database_url
        self.dedupe = EventDedupe(data_dir, database_url=url)
        self.threads = ThreadMap(data_dir, database_url=url)
        self.shares = ShareStore(data_dir, database_url=url)
        self.channels = ChannelSettings(data_dir, database_url=url)
        self._hosts = response_hosts(settings.slack_api_url)

    def __deepcopy__(self, memo: dict) -> Bot:
        # bolt hands lazy listeners (/ucc) a deep copy of the request's context: the state is shared
        return self

    # -- who to answer ------------------------------------------------------------------------
    def accepts(self, event: dict, context: Any) -> bool:
        """False for the bot's own messages, edits and deletions, and other bots (unless allowed)."""
        bot_user = (context or {}).get("bot_user_id")
        bot_id = (context or {}).get("bot_id")
        if event.get("user") and event.get("user") == bot_user:
            return False
        if event.get("bot_id") and event.get("bot_id") == bot_id:
            return False
        subtype = event.get("subtype")
        if subtype and subtype not in ("bot_message", "file_share", "thread_broadcast"):
            return False
        if (event.get("bot_id") or subtype == "bot_message") and not self.settings.slack_allow_bots:
            return False
        return True

    def claim_message(self, event: dict) -> bool:
        """One answer per Slack message even when it arrives as both app_mention and message."""
        key = event.get("client_msg_id") or f"{event.get('channel')}:{event.get('ts')}"
        return self.dedupe.claim("msg:" + key)

    def allows_response_url(self, url: Any) -> bool:
        """Whether the bot may answer through ``url``: only Slack's own hosts."""
        return response_url_allowed(url, self._hosts, self.settings.slack_api_url)

    # -- answering ----------------------------------------------------------------------------
    def answer(self, question: str, user: str | None = None,
               conversation: str | None = None, filters: dict | None = None) -> tuple[list[dict], str, Asked | None]:
        """Blocks, fallback text and what was asked (None when there was nothing to ask). The assistant
        times the question and records it in the question log (channel slack)."""
        problem = kit.question_problem(question)
        if problem:
            blocks = kit.message_blocks(problem)
            return blocks, problem, None
        try:
            asked = self.assistant.ask_and_record(question.strip(), channel="slack", user_id=user,
                                                  conversation=conversation or None, filters=filters or None)
        except UccError as e:
            text = kit.error_text(e)
            return kit.message_blocks(text), text, None
        blocks = kit.answer_blocks(asked.result, asked.answer_id)
        return blocks, kit.fallback_text(blocks), asked

    def shareable(self, blocks: list[dict], text: str) -> list[dict]:
        """The blocks with a "Share in channel" button; without it when the state store cannot keep them."""
        try:
            share_id = self.shares.put(secrets.token_urlsafe(12), blocks, text)
        except StateUnavailable:
            return blocks
        return blocks + kit.share_button(share_id)


def inject(bot: Bot) -> Callable:
    """A bolt global middleware putting ``bot`` in every request's context (listeners take ``bot``)."""

    def inject_bot(context, next):
        context["bot"] = bot
        return next()

    return inject_bot

"""What every listener shares: the assistant, the question log and the bot's SQLite state."""

from __future__ import annotations

import re
import secrets
from typing import Any

from app.asking import Asked
from indexer.errors import UccError

from .. import blocks as kit
from ..dedupe import ChannelSettings, EventDedupe, ShareStore, ThreadMap

_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
QUESTION_WORDS = ("who", "what", "which", "where", "when", "why", "how", "can", "could", "should", "is", "are",
                  "do", "does", "did", "any", "examples", "show", "tell", "find", "list")


def is_question(text: str | None) -> bool:
    """Question-like: ends with "?" or starts with a question word (used by channels in ``all`` mode)."""
    text = strip_mentions(text)
    if not text:
        return False
    first = text.split()[0].lower().strip(",.:;!")
    return text.rstrip().endswith("?") or first in QUESTION_WORDS


def strip_mentions(text: str | None) -> str:
    return " ".join(_MENTION.sub(" ", text or "").split())


class Bot:
    """The state behind one bolt App (built once by :func:`bot_for`)."""

    def __init__(self, assistant, settings):
        self.assistant = assistant
        self.settings = settings
        data_dir = settings.data_dir
        self.dedupe = EventDedupe(data_dir)
        self.threads = ThreadMap(data_dir)
        self.shares = ShareStore(data_dir)
        self.channels = ChannelSettings(data_dir)

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
        share_id = self.shares.put(secrets.token_urlsafe(12), blocks, text)
        return blocks + kit.share_button(share_id)


def bot_for(app, assistant, settings) -> Bot:
    bot = getattr(app, "_ucc_bot", None)
    if bot is None:
        bot = Bot(assistant, settings)
        app._ucc_bot = bot
    return bot

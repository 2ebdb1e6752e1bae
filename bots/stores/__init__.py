"""The bot's small state in the state store (:mod:`app.state`): ``UCC_DATA_DIR/slack-events.db``
(WAL, survives restarts), or the PostgreSQL database of ``UCC_DATABASE_URL`` that every host
shares; one module per store, each with its own table:

* :class:`EventDedupe` (``dedupe.py``) remembers event ids (and client_msg_ids) for an hour, so
  Slack's retries (``X-Slack-Retry-Num``) never produce a second answer;
* :class:`ThreadMap` (``threads.py``) maps a thread the bot answered to its conversation id
  (thread follow-ups);
* :class:`ShareStore` (``shares.py``) keeps the blocks behind a "Share in channel" button for a day;
* :class:`ChannelSettings` (``channels.py``) keeps each channel's ``/ucc config`` (mode, default
  filters, language).

:class:`bots.bot.Bot` holds one of each.
"""

from .channels import ChannelSettings
from .dedupe import EventDedupe
from .shares import ShareStore
from .threads import ThreadMap

__all__ = ["ChannelSettings", "EventDedupe", "ShareStore", "ThreadMap"]

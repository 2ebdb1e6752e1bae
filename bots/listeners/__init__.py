"""Bolt listeners, as in bolt's starter template: plain functions, each module registering its own
with ``register(app)``. The bot's state (:class:`bots.bot.Bot`) reaches every listener as its ``bot``
argument, from bolt's context (:func:`bots.bot.inject`)."""

from __future__ import annotations

from bots.listeners import actions, commands, events


def register_listeners(app) -> None:
    for module in (events, commands, actions):
        module.register(app)

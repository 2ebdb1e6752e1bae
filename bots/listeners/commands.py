"""The /ucc slash command: acknowledged at once, answered afterwards (ephemeral, with "Share in channel").

Plain functions; ``bot`` (:class:`bots.bot.Bot`) comes from bolt's context (a lazy listener gets a
copy of the context, which shares the bot)."""

from __future__ import annotations

from indexer.errors import UccError

from bots import blocks as kit

SUBCOMMANDS = ("ask", "similar", "scores", "learn", "examples", "help", "config")
LANGS = ("en",)  # only English texts exist; another choice is stored and English is used


def parse(text: str | None) -> tuple[str, str]:
    """``"scores Madrid P1"`` -> ``("scores", "Madrid P1")``; free text is a question."""
    text = (text or "").strip()
    if not text:
        return "help", ""
    head, _, rest = text.partition(" ")
    if head.lower() in SUBCOMMANDS:
        return head.lower(), rest.strip()
    return "ask", text


def _split_sub(arg: str) -> tuple[str, str | None]:
    """``"Madrid P1"`` -> ``("Madrid", "P1")`` when the last word looks like a subindicator id."""
    words = arg.split()
    if len(words) > 1 and len(words[-1]) <= 4 and words[-1][:1].isalpha() and words[-1][1:].isdigit():
        return " ".join(words[:-1]), words[-1].upper()
    return arg, None


def run(bot, sub: str, arg: str, user: str | None) -> tuple[list[dict], str, bool]:
    """Blocks, fallback text and whether to offer "Share in channel"."""
    a = bot.assistant
    if sub == "help":
        return kit.help_blocks(), "How to use the UserCentriCities assistant", False
    if sub == "ask":
        blocks, text, result = bot.answer(arg, user=user)
        return blocks, text, result is not None
    if not arg.strip() and sub != "scores":
        text = f"Please add a {'topic' if sub == 'examples' else 'city'}: `/ucc {sub} <{'topic' if sub == 'examples' else 'city'}>`."
        return kit.message_blocks(text), text, False
    try:
        if sub == "similar":
            blocks = kit.similar_blocks(a.similar(arg))
        elif sub == "scores":
            city, subindicator = _split_sub(arg)
            if city.strip():
                blocks = kit.scores_blocks(a.scores(city), subindicator)
            else:
                blocks = kit.ranking_blocks(a.scores())
        elif sub == "learn":
            blocks = kit.learn_blocks(a.learn_from(arg))
        else:
            blocks = kit.examples_blocks(arg, a.examples(arg, 5))
    except UccError as e:
        text = kit.error_text(e)
        return kit.message_blocks(text), text, False
    return blocks, kit.fallback_text(blocks), True


def show_settings(current: dict, note: str = "") -> str:
    filters = ", ".join(f"{k}={v}" for k, v in sorted(current["filters"].items())) or "none"
    mode = ("every question-like message (ends with ? or starts with a question word)"
            if current["mode"] == "all" else "only when mentioned")
    text = (f"{note}*Settings for this channel*\n• mode: `{current['mode']}` ({mode})\n"
            f"• filters: `{filters}`\n• lang: `{current['lang']}`")
    if current["lang"] not in LANGS:
        text += " (only English texts exist yet, so answers stay in English)"
    return text + ("\nChange with `/ucc config mode all|mention`, `/ucc config filter city=ghent`, "
                   "`/ucc config filter clear`, `/ucc config lang en` (workspace admins and owners only).")


def is_admin(client, user: str | None) -> bool:
    if not user:
        return False
    try:
        info = client.users_info(user=user).get("user") or {}
    except Exception:
        return False
    return bool(info.get("is_admin") or info.get("is_owner") or info.get("is_primary_owner"))


def configure(bot, client, channel: str, user: str | None, arg: str) -> str:
    """``/ucc config [mode all|mention | filter key=value | filter clear | lang xx]``: the reply text."""
    current = bot.channels.get(channel)
    words = arg.split()
    if not words:
        return show_settings(current)
    key, values = words[0].lower(), words[1:]
    usage = ("I did not understand that setting. Use `/ucc config mode all|mention`, "
             "`/ucc config filter city=ghent`, `/ucc config filter clear` or `/ucc config lang en`.")
    if key not in ("mode", "filter", "filters", "lang") or not values:
        return usage
    if not is_admin(client, user):
        return ("Sorry, only a workspace admin or owner can change this channel's settings. "
                "Here they are:\n" + show_settings(current))
    if key == "mode":
        mode = values[0].lower()
        if mode not in bot.channels.MODES:
            return "The mode is `mention` (answer only when mentioned) or `all` (answer every question)."
        current = bot.channels.update(channel, user, mode=mode)
    elif key == "lang":
        current = bot.channels.update(channel, user, lang=values[0].lower()[:8])
    else:
        if values[0].lower() == "clear":
            current = bot.channels.update(channel, user, filters={})
        else:
            filters = dict(current["filters"])
            for pair in values:
                name, sep, value = pair.partition("=")
                name = name.lower().strip()
                if not sep or not value.strip() or name not in bot.channels.FILTER_KEYS:
                    return ("Filters look like `city=ghent`, `country=Spain` or `kind=service` (keys: "
                            + ", ".join(bot.channels.FILTER_KEYS) + ").")
                filters[name] = value.strip()
            current = bot.channels.update(channel, user, filters=filters)
    return show_settings(current, "Saved. ")


def register(app) -> None:
    app.command("/ucc")(ack=acknowledge, lazy=[answer_command])


def acknowledge(ack):
    ack()


def answer_command(command, respond, logger, client, bot):
    sub, arg = parse(command.get("text"))
    try:
        if sub == "config":
            text = configure(bot, client, command.get("channel_id") or "", command.get("user_id"), arg)
            respond(response_type="ephemeral", blocks=kit.message_blocks(text), text=text)
            return
        if sub == "ask":
            filters = bot.channels.get(command.get("channel_id"))["filters"]
            blocks, text, asked = bot.answer(arg, user=command.get("user_id"), filters=filters)
            share = asked is not None
        else:
            blocks, text, share = run(bot, sub, arg, command.get("user_id"))
    except Exception as e:  # lazy listeners bypass @app.error: the user still gets a polite reply
        logger.exception("/ucc %s failed", sub)
        text = kit.error_text(e)
        blocks, share = kit.message_blocks(text), False
    if share:
        blocks = bot.shareable(blocks, text)
    respond(response_type="ephemeral", blocks=blocks, text=text)

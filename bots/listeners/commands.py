"""The /ucc slash command: acknowledged at once, answered afterwards (ephemeral, with "Share in channel")."""

from __future__ import annotations

from indexer.errors import UccError

from .. import blocks as kit
from .common import bot_for

SUBCOMMANDS = ("ask", "similar", "scores", "learn", "examples", "help")


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


def register(app, assistant, settings) -> None:
    bot = bot_for(app, assistant, settings)

    def acknowledge(ack):
        ack()

    def answer(command, respond, logger):
        sub, arg = parse(command.get("text"))
        try:
            blocks, text, share = run(bot, sub, arg, command.get("user_id"))
        except Exception as e:  # lazy listeners bypass @app.error: the user still gets a polite reply
            logger.exception("/ucc %s failed", sub)
            text = kit.error_text(e)
            blocks, share = kit.message_blocks(text), False
        if share:
            blocks = bot.shareable(blocks, text)
        respond(response_type="ephemeral", blocks=blocks, text=text)

    app.command("/ucc")(ack=acknowledge, lazy=[answer])

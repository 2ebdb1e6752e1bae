"""What a network question gets back: a :class:`NetworkAnswer` (a plain sentence, the data, the
reply parts and the sources), and the pieces answers share: a member as a list item, and the
sources for the member list and the dashboard scores."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


@dataclass
class NetworkAnswer:
    text: str
    data: dict[str, Any]
    parts: list[dict[str, Any]]
    sources: list[dict[str, Any]]


def month_text(joined: str | None) -> str | None:
    if not joined:
        return None
    year, _, month = joined.partition("-")
    return f"{MONTHS[int(month[:2]) - 1]} {year}" if month else year


def member_item(city: Any) -> dict[str, Any]:
    """A member as an item of a ``cities`` reply part, with why it is listed (type, when it joined)."""
    bits = [city.type]
    if city.role == "founding":
        bits.append("founding member")
    elif city.joined:
        bits.append(f"joined {month_text(city.joined)}")
    return {"slug": city.slug, "name": city.name, "country": city.country, "type": city.type, "role": city.role,
            "joined": city.joined, "capital": city.capital, "why": ", ".join(bits),
            "url": f"/api/v1/cities/{city.slug}"}


def members_source(url: str | None) -> dict[str, Any]:
    """The member list (cities.yaml, from the network's about page) as a source."""
    return {"title": "UserCentriCities members (the network's about page)", "url": url, "source": "cities.yaml"}


def scores_source(url: str | None) -> dict[str, Any]:
    """The dashboard's score files as a source."""
    return {"title": "UserCentriCities dashboard scores", "url": url, "source": "benchmark/scores"}

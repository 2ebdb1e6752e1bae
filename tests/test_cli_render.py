"""``ucc ask`` prints an answer's structured parts as aligned plain text (issue 12, point 3)."""

from __future__ import annotations

from app.commands.render import part_lines


def test_a_score_table_is_aligned_with_colour_words_and_totals():
    part = {"type": "score_table", "title": "Dashboard", "columns": ["Sub-indicator", "Helsinki", "Espoo"],
            "rows": [["1.1 Skills", "4/4", "3/4"], ["2.6 Interoperability", "3/3", "1/3"]],
            "colours": [["green", "green"], ["green", "red"]], "totals": [65, 58], "note": "Self-assessed."}
    lines = part_lines(part)
    assert lines[0] == "Dashboard:" and "Helsinki" in lines[1] and set(lines[2].strip()) <= {"-", " "}
    assert "3/3 green" in lines[4] and "1/3 red" in lines[4]
    assert lines[5].split() == ["Overall", "65%", "58%"] and lines[-1].strip() == "Self-assessed."
    starts = {line.index("4/4") for line in lines if "4/4" in line} | {line.index("3/3") for line in lines if "3/3 g" in line}
    assert len(starts) == 1  # the column is aligned


def test_cities_and_examples_are_lists_and_unknown_parts_print_nothing():
    cities = part_lines({"type": "cities", "title": "Members", "items": [{"name": "Espoo", "why": "founding"}]})
    assert cities == ["Members:", "  - Espoo: founding"]
    examples = part_lines({"type": "examples", "title": "Examples", "items": [
        {"title": "MeldR", "city_name": "Rotterdam", "url": "https://example.org/m"}]})
    assert examples == ["Examples:", "  - MeldR (Rotterdam) — https://example.org/m"]
    assert part_lines({"type": "citations", "items": [{"n": 1}]}) == []
    assert part_lines({"type": "cities", "title": "None", "items": []}) == []

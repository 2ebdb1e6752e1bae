"""Tests of indexer.loaders: every format, every refusal, and the real corpora when present.

All fixtures are made in ``tmp_path``; the corpus tests skip when ../shared is absent.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer.documents import KNOWN_FIELDS, SourceDocument
from indexer.errors import DocumentError
from indexer.loaders import SUPPORTED_SUFFIXES, discover, load_file

CORPORA = Path(__file__).resolve().parents[1].parent / "shared" / "corpora"


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


def load_one(path: Path, root: Path) -> SourceDocument:
    docs = load_file(path, root)
    assert len(docs) == 1
    return docs[0]


def refused(path: Path, root: Path | None = None) -> DocumentError:
    with pytest.raises(DocumentError) as info:
        load_file(path, root or path.parent)
    assert info.value.path == str(path)
    assert info.value.reason
    return info.value


def assert_json_safe(doc: SourceDocument) -> None:
    json.dumps(doc.metadata)
    assert "title" not in doc.metadata


# ------------------------------------------------------------------ fixtures


def make_pdf(pages: list[list[str]], title: str | None = None, author: str | None = None) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    if title:
        pdf.set_title(title)
    if author:
        pdf.set_author(author)
    for paragraphs in pages:
        pdf.add_page()
        pdf.set_font("helvetica", size=11)
        for paragraph in paragraphs:
            pdf.multi_cell(0, 6, paragraph)
            pdf.ln(6)
    return bytes(pdf.output())


def two_page_pdf() -> bytes:
    return make_pdf(
        [
            ["Participatory budgeting", "Residents of the city vote on projects every spring. " * 5],
            ["Lessons learned for other cities include early outreach and clear rules. " * 4],
        ],
        title="Budget report 2023",
        author="City of Ghent",
    )


def make_docx() -> bytes:
    import docx

    document = docx.Document()
    document.core_properties.author = "Ana Peeters"
    document.core_properties.keywords = "budget, participation"
    document.add_heading("Participatory budgeting guide", 0)
    document.add_paragraph("An introduction before any chapter.")
    document.add_heading("Preparing the vote", 1)
    document.add_paragraph("Set the budget and the rules first.")
    document.add_heading("Outreach", 2)
    document.add_paragraph("Posters in libraries", style="List Bullet")
    document.add_paragraph("Messages to every household", style="List Bullet")
    document.add_paragraph("Outreach takes about six weeks.")
    table = document.add_table(rows=3, cols=2)
    for row, values in zip(table.rows, [("Year", "Votes"), ("2021", "1200"), ("2022", "1500")]):
        for cell, value in zip(row.cells, values):
            cell.text = value
    document.add_heading("Counting", 1)
    document.add_paragraph("Votes are counted in public.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


MARKDOWN = """---
title: Participatory budgeting in Ghent
lead: Residents decide how part of the [city budget](https://example.org) is spent.
kind: case-study
city: Ghent
country: Belgium
year: "2021"
principles: Participation
subindicators: [2.2, "3.1"]
tags: budget
published: 2021-05-04
contact:
  name: Ana
  roles: [lead]
---

# Participatory budgeting in Ghent

Intro with a [link](https://example.org "t"), **bold**, *emphasis*, `<code>` and ![an image](x.png).
{% include note.html %}Liquid {{ page.title }} gone. <span class="x">Tagged</span> <!-- hidden -->

## How it works

- First step
- Second step
  continues here
* Third
  1. nested one
  1. nested two

### Voting

Votes are cast online.

Lessons
-------

```python
print("hi")

x = 1
```

<div class="note">
<p>An HTML paragraph.</p>
</div>

| Year | Votes |
|------|-------|
| 2021 | 1200  |
"""

HTML = """<!DOCTYPE html>
<html><head><title>Participatory budgeting</title>
<meta name="description" content="How Ghent runs its budget vote">
<meta name="keywords" content="budget, participation">
<script>var noise = "script noise";</script><style>p { color: red }</style></head>
<body>
<header>Header noise</header>
<nav><ul><li>Nav noise</li></ul></nav>
<main>
<h1>Participatory budgeting</h1>
<p>Ghent lets <b>residents</b> vote on <a href="x">projects</a>.</p>
<h2>How it works</h2>
<ul><li>Submit ideas</li><li>Vote</li></ul>
<h3>Results</h3>
<table><tr><th>Year</th><th>Votes</th></tr><tr><td>2021</td><td>1200</td></tr></table>
<pre>code  kept</pre>
<aside>Aside noise</aside>
<form><label>Form noise</label></form>
<noscript>Noscript noise</noscript>
</main>
<footer>Footer noise</footer>
</body></html>
"""


# --------------------------------------------------------------------- discover


def test_discover_sorts_skips_hidden_unsupported_and_ignored(tmp_path: Path) -> None:
    for name in [
        "b.md", "a.txt", "sub/c.html", "sub/d.pdf", "sub/e.docx", "f.csv", "g.jsonl", "h.htm",
        "i.markdown", "notes.rtf", ".hidden.md", ".git/x.md", "drafts/y.md", "sub/drafts/z.md",
        "tmp/k.md", "scratch.tmp.md", "people.csv.yaml",
    ]:
        write(tmp_path / name, "x")
    write(tmp_path / ".uccignore", "# comments are ignored\n\ndrafts/\n/tmp/\n*.tmp.md\n")
    found = [p.relative_to(tmp_path).as_posix() for p in discover(tmp_path)]
    assert found == [
        "a.txt", "b.md", "f.csv", "g.jsonl", "h.htm", "i.markdown",
        "sub/c.html", "sub/d.pdf", "sub/e.docx",
    ]


def test_discover_single_file_and_missing_root(tmp_path: Path) -> None:
    path = write(tmp_path / "one.md", "# One\n\nText.")
    assert discover(path) == [path]
    with pytest.raises(DocumentError):
        discover(tmp_path / "missing")


def test_supported_suffixes() -> None:
    assert set(SUPPORTED_SUFFIXES) == {".md", ".markdown", ".html", ".htm", ".pdf", ".docx", ".txt", ".csv", ".jsonl"}


# --------------------------------------------------------------------- markdown


def test_markdown_title_sections_and_clean_text(tmp_path: Path) -> None:
    doc = load_one(write(tmp_path / "cases/ghent.md", MARKDOWN), tmp_path)
    assert (doc.doc_id, doc.source, doc.format) == ("cases/ghent.md", "cases/ghent.md", "markdown")
    assert doc.title == "Participatory budgeting in Ghent"
    first = doc.blocks[0]
    assert first.section == () and first.text == "Residents decide how part of the city budget is spent."
    intro = doc.blocks[1]
    assert intro.section == ()  # the H1 repeats the title: not a section
    assert intro.text == "Intro with a link, bold, emphasis, <code> and . Liquid gone. Tagged"
    by_text = {b.text: b.section for b in doc.blocks}
    assert by_text["- First step\n- Second step continues here\n- Third\n  1. nested one\n  2. nested two"] == (
        "How it works",
    )
    assert by_text["Votes are cast online."] == ("How it works", "Voting")
    assert by_text['print("hi")\n\nx = 1'] == ("Lessons",)
    assert by_text["An HTML paragraph."] == ("Lessons",)
    assert by_text["Year | Votes\n2021 | 1200"] == ("Lessons",)
    assert all(b.page is None for b in doc.blocks)


def test_markdown_metadata_normalised(tmp_path: Path) -> None:
    doc = load_one(write(tmp_path / "ghent.md", MARKDOWN), tmp_path)
    meta = doc.metadata
    assert_json_safe(doc)
    assert meta["kind"] == "case-study" and meta["city"] == "Ghent" and meta["country"] == "Belgium"
    assert meta["year"] == 2021
    assert meta["principles"] == ["Participation"]
    assert meta["subindicators"] == ["2.2", "3.1"]
    assert meta["tags"] == ["budget"]
    assert meta["published"] == "2021-05-04"
    assert meta["contact"] == {"name": "Ana", "roles": ["lead"]}
    assert meta["lead"].startswith("Residents decide")


def test_markdown_title_falls_back_to_h1_then_stem(tmp_path: Path) -> None:
    doc = load_one(write(tmp_path / "a.md", "# Heading One\n\nText\n\n## Part\n\nMore"), tmp_path)
    assert doc.title == "Heading One"
    assert [b.section for b in doc.blocks] == [(), ("Part",)]
    doc = load_one(write(tmp_path / "card-sorting.md", "Just text.\n\n## Part\n\nMore"), tmp_path)
    assert doc.title == "Card sorting"
    doc = load_one(write(tmp_path / "setext.md", "Big Title\n=========\n\nBody text."), tmp_path)
    assert doc.title == "Big Title" and doc.blocks[0].section == ()


def test_markdown_h1_different_from_title_stays_in_sections(tmp_path: Path) -> None:
    text = "---\ntitle: Page\n---\n# Other heading\n\nBody\n"
    doc = load_one(write(tmp_path / "p.md", text), tmp_path)
    assert doc.blocks[0].section == ("Other heading",)


def test_markdown_utf8_bom_and_crlf(tmp_path: Path) -> None:
    path = write(tmp_path / "bom.md", "\ufeff---\r\ntitle: Bom\r\n---\r\nHello\r\nworld\r\n".encode())
    doc = load_one(path, tmp_path)
    assert doc.title == "Bom" and doc.blocks[0].text == "Hello world"


def test_markdown_slower_than_the_parse_time_limit_is_refused(tmp_path: Path) -> None:
    # markdown-it-py is linear but pure Python: paragraphs of unclosed brackets take about 25 µs a
    # character (this file: some 25 s unchecked); the limit is checked between paragraphs.
    import time

    from indexer.loaders.common import FileLimits

    path = write(tmp_path / "brackets.md", "# Brackets\n\n" + "\n\n".join(["[" * 5000] * 200))
    started = time.monotonic()
    with pytest.raises(DocumentError, match="UCC_MAX_PARSE_SECONDS"):
        load_file(path, tmp_path, FileLimits(max_seconds=0.3))
    assert time.monotonic() - started < 5


# ------------------------------------------------------------------------- html


def test_html_main_content_sections_and_meta(tmp_path: Path) -> None:
    doc = load_one(write(tmp_path / "page.html", HTML), tmp_path)
    assert doc.format == "html" and doc.title == "Participatory budgeting"
    assert doc.metadata == {"description": "How Ghent runs its budget vote", "tags": ["budget", "participation"]}
    assert [(b.section, b.text) for b in doc.blocks] == [
        ((), "Ghent lets residents vote on projects."),
        (("How it works",), "- Submit ideas\n- Vote"),
        (("How it works", "Results"), "Year | Votes\n2021 | 1200"),
        (("How it works", "Results"), "code  kept"),
    ]
    assert "noise" not in doc.text


def test_html_title_from_h1_when_no_title_tag(tmp_path: Path) -> None:
    path = write(tmp_path / "x.htm", "<html><body><article><h1>Heading</h1><p>Body</p></article></body></html>")
    doc = load_one(path, tmp_path)
    assert doc.title == "Heading" and doc.blocks[0].section == ()


# -------------------------------------------------------------------------- pdf


def test_pdf_pages_blocks_and_info(tmp_path: Path) -> None:
    doc = load_one(write(tmp_path / "report.pdf", two_page_pdf()), tmp_path)
    assert doc.format == "pdf" and doc.title == "Budget report 2023"
    assert doc.metadata["author"] == "City of Ghent" and doc.metadata["pages"] == 2
    assert {b.page for b in doc.blocks} == {1, 2}
    assert any(b.page == 1 and "vote on projects" in b.text for b in doc.blocks)
    assert any(b.page == 2 and "Lessons learned" in b.text for b in doc.blocks)
    assert all("\n" not in b.text for b in doc.blocks)


def test_pdf_title_from_first_short_line(tmp_path: Path) -> None:
    data = make_pdf([["Annual Report", "Some body text that is long enough to be a paragraph. " * 3]])
    assert load_one(write(tmp_path / "r.pdf", data), tmp_path).title == "Annual Report"


def test_pdf_without_text_is_refused(tmp_path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.rect(10, 10, 50, 50)
    error = refused(write(tmp_path / "scan.pdf", bytes(pdf.output())))
    assert error.reason == "no extractable text (scanned PDF?)"


def test_pdf_encryption(tmp_path: Path) -> None:
    from fpdf import FPDF

    def encrypted(user_password: str | None) -> bytes:
        pdf = FPDF()
        pdf.set_encryption(owner_password="owner", user_password=user_password)
        pdf.add_page()
        pdf.set_font("helvetica", size=11)
        pdf.cell(0, 10, "Readable without a password")
        return bytes(pdf.output())

    assert refused(write(tmp_path / "locked.pdf", encrypted("secret"))).reason == "the PDF is encrypted (password protected)"
    doc = load_one(write(tmp_path / "open.pdf", encrypted(None)), tmp_path)
    assert doc.blocks[0].text == "Readable without a password" and doc.blocks[0].page == 1


# ------------------------------------------------------------------------- docx


def test_docx_headings_lists_tables(tmp_path: Path) -> None:
    doc = load_one(write(tmp_path / "guide.docx", make_docx()), tmp_path)
    assert doc.format == "docx" and doc.title == "Participatory budgeting guide"
    assert doc.metadata["author"] == "Ana Peeters"
    assert doc.metadata["tags"] == ["budget", "participation"]
    assert_json_safe(doc)
    assert [(b.section, b.text) for b in doc.blocks] == [
        ((), "An introduction before any chapter."),
        (("Preparing the vote",), "Set the budget and the rules first."),
        (("Preparing the vote", "Outreach"), "- Posters in libraries\n- Messages to every household"),
        (("Preparing the vote", "Outreach"), "Outreach takes about six weeks."),
        (("Preparing the vote", "Outreach"), "Year | Votes\n2021 | 1200\n2022 | 1500"),
        (("Counting",), "Votes are counted in public."),
    ]


# ------------------------------------------------------------------- plain text


def test_text_title_and_paragraphs(tmp_path: Path) -> None:
    doc = load_one(write(tmp_path / "notes.txt", "Meeting notes\n\nFirst  paragraph\nwraps here.\n\n- a\n- b\n"), tmp_path)
    assert doc.format == "text" and doc.title == "Meeting notes"
    assert [b.text for b in doc.blocks] == ["First paragraph wraps here.", "- a\n- b"]
    doc = load_one(write(tmp_path / "long-notes.txt", "No blank line after\nthe first line.\n"), tmp_path)
    assert doc.title == "Long notes" and doc.blocks[0].text == "No blank line after the first line."


# -------------------------------------------------------------------------- csv


PEOPLE = "id,name,city,year,bio,tags\np1,Ana,Ghent,2020,Ana runs design labs.,design;research\np2,Bo,Lyon,n/a,,\n"


def test_csv_without_sidecar_uses_all_columns(tmp_path: Path) -> None:
    docs = load_file(write(tmp_path / "data/people.csv", PEOPLE), tmp_path)
    assert [d.doc_id for d in docs] == ["data/people.csv#p1", "data/people.csv#p2"]
    first = docs[0]
    assert first.format == "csv" and first.source == "data/people.csv" and first.title == "Ana"
    assert first.blocks[0].text == "id: p1\nname: Ana\ncity: Ghent\nyear: 2020\nbio: Ana runs design labs.\ntags: design;research"
    assert first.metadata == {"city": "Ghent", "year": 2020, "bio": "Ana runs design labs.", "tags": ["design", "research"]}
    assert docs[1].metadata == {"city": "Lyon", "year": "n/a"}


def test_csv_with_sidecar(tmp_path: Path) -> None:
    path = write(tmp_path / "people.csv", PEOPLE)
    write(tmp_path / "people.csv.yaml", "text_column: bio\ntitle_column: name\nkind: person\n")
    docs = load_file(path, tmp_path)
    assert len(docs) == 1  # Bo's row has no bio
    doc = docs[0]
    assert (doc.doc_id, doc.title, doc.blocks[0].text) == ("people.csv#p1", "Ana", "Ana runs design labs.")
    assert doc.metadata == {"kind": "person", "city": "Ghent", "year": 2020, "tags": ["design", "research"]}


def test_csv_text_column_semicolons_and_row_numbers(tmp_path: Path) -> None:
    path = write(tmp_path / "ideas.csv", "Description;City\nMore benches;Ghent\nBike lanes;Lyon\n")
    docs = load_file(path, tmp_path)
    assert [(d.doc_id, d.title, d.text, d.metadata) for d in docs] == [
        ("ideas.csv#1", "ideas row 1", "More benches", {"city": "Ghent"}),
        ("ideas.csv#2", "ideas row 2", "Bike lanes", {"city": "Lyon"}),
    ]


def test_csv_sidecar_naming_missing_column_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "people.csv", PEOPLE)
    write(tmp_path / "people.csv.yaml", "text_column: biography\n")
    assert "biography" in refused(path).reason


# ------------------------------------------------------------------------ jsonl


def test_beir_jsonl(tmp_path: Path) -> None:
    lines = [
        {"_id": "d1", "title": "Budget vote", "text": "Residents vote.", "metadata": {"city": "Ghent", "year": 2021}},
        {"_id": 7, "title": "", "text": "A record without a title has its first words as title, " * 3},
    ]
    body = json.dumps(lines[0]) + "\n\n" + json.dumps(lines[1]) + "\n"
    docs = load_file(write(tmp_path / "corpus.jsonl", body), tmp_path)
    assert [d.doc_id for d in docs] == ["d1", "7"]
    assert docs[0].title == "Budget vote" and docs[0].metadata == {"city": "Ghent", "year": 2021}
    assert docs[0].source == "corpus.jsonl" and docs[0].format == "jsonl"
    assert len(docs[1].title) <= 80 and docs[1].title.startswith("A record without a title")
    assert not docs[1].title.endswith(" ")


# -------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("broken.md", "---\ntitle: [unclosed\nkind: x\n---\nBody\n", "front matter is not valid YAML: line "),
        ("list.md", "---\n- a\n- b\n---\nBody\n", "front matter is not a mapping"),
        ("open.md", "---\ntitle: x\nBody\n", "front matter is not closed"),
        ("only-front.md", "---\ntitle: x\n---\n\n", "no text"),
        ("bad.md", b"hello\xffworld", "not valid UTF-8 (byte 0xff at offset 5)"),
        ("bad.txt", b"\xef\xbb\xbfok\xc3(", "not valid UTF-8 (byte 0xc3 at offset 5)"),
        ("bad.csv", b"a,b\n\xfe,1\n", "not valid UTF-8 (byte 0xfe at offset 4)"),
        ("empty.md", b"", "empty file"),
        ("empty.pdf", b"", "empty file"),
        ("empty.docx", b"", "empty file"),
        ("blank.md", " \n\n\t\n", "no text"),
        ("blank.txt", "   \n", "no text"),
        ("blank.html", "\n\n", "no text"),
        ("blank.jsonl", "\n\n", "no text"),
        ("nav-only.html", "<html><body><nav>Menu</nav></body></html>", "no text"),
        ("random.pdf", bytes(range(256)) * 4, "corrupt PDF"),
        ("random.docx", b"PK\x03\x04 not really a zip" * 10, "corrupt DOCX"),
        ("text.docx", b"plain text pretending", "corrupt DOCX"),
        ("lines.jsonl", '{"_id": "a", "text": "ok"}\n{"_id": "b", "text": }\n', "line 2: not valid JSON"),
        ("noid.jsonl", '{"title": "t", "text": "x"}\n', "line 1: missing _id"),
        ("array.jsonl", "[1, 2]\n", "line 1: not a JSON object"),
        ("dup.jsonl", '{"_id": "a", "text": "x"}\n{"_id": "a", "text": "y"}\n', "line 2: duplicate _id"),
        ("header.csv", "id,text\n", "the CSV has a header but no rows"),
        ("blankrows.csv", "id,text\n1,\n", "no rows with text"),
        ("notes.rtf", "{\\rtf1}", "unsupported file type"),
    ],
)
def test_malformed_files_raise_document_error(tmp_path: Path, name: str, content: str | bytes, reason: str) -> None:
    error = refused(write(tmp_path / name, content))
    assert error.reason.startswith(reason), error.reason
    assert str(error) == f"{error.path}: {error.reason}"


def test_truncated_pdf_is_refused(tmp_path: Path) -> None:
    data = two_page_pdf()
    assert refused(write(tmp_path / "cut.pdf", data[: len(data) // 2])).reason.startswith("corrupt PDF")


def test_zip_that_is_not_a_docx_is_refused(tmp_path: Path) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "hi")
    assert refused(write(tmp_path / "z.docx", out.getvalue())).reason.startswith("corrupt DOCX")


def test_truncated_docx_is_refused(tmp_path: Path) -> None:
    data = make_docx()
    assert refused(write(tmp_path / "cut.docx", data[: len(data) // 2])).reason.startswith("corrupt DOCX")


def test_missing_file_is_refused(tmp_path: Path) -> None:
    assert refused(tmp_path / "gone.md").reason.startswith("cannot read the file")


def test_root_as_file_names_source_by_file_name(tmp_path: Path) -> None:
    path = write(tmp_path / "deep/dir/page.md", "# T\n\nBody")
    doc = load_one(path, path)
    assert doc.source == "page.md" and doc.doc_id == "page.md"


# -------------------------------------------------------------------- property


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    suffix=st.sampled_from(SUPPORTED_SUFFIXES),
    data=st.one_of(
        st.binary(max_size=600),
        st.text(alphabet=st.characters(codec="utf-8"), max_size=400).map(str.encode),
        st.text(alphabet="-#*_`[]()<>{}%|!:;,\"'\n \tabc01.", max_size=400).map(str.encode),
    ),
)
def test_any_bytes_load_or_raise_document_error(tmp_path: Path, suffix: str, data: bytes) -> None:
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(data)
    try:
        docs = load_file(path, tmp_path)
    except DocumentError as error:
        assert error.path == str(path) and error.reason
        return
    assert docs
    for doc in docs:
        assert doc.blocks and all(b.text.strip() for b in doc.blocks)
        assert isinstance(doc.title, str) and doc.title
        json.dumps(doc.metadata)


# ---------------------------------------------------------------- real corpora


def corpora() -> Path:
    if not CORPORA.is_dir():
        pytest.skip(f"../shared/corpora not present: {CORPORA}")
    return CORPORA


@pytest.mark.shared
def test_corpora_every_file_loads_clean() -> None:
    root = corpora()
    files = discover(root)
    assert len(files) > 10
    for path in files:
        for doc in load_file(path, root):
            assert doc.blocks, path
            assert doc.title.strip(), path
            assert set(doc.metadata) >= set() and "title" not in doc.metadata
            json.dumps(doc.metadata)
            for block in doc.blocks:
                for leak in ("{%", "](", "<div", "{{", "</"):
                    assert leak not in block.text, (path, leak, block.text[:200])


@pytest.mark.shared
def test_corpora_front_matter_kept_as_metadata() -> None:
    root = corpora()
    card = root / "18f-methods/_methods/card-sorting.md"
    play = root / "usds-playbook/_plays/01.md"
    if not card.is_file() or not play.is_file():
        pytest.skip("../shared/corpora not present: card-sorting.md or plays/01.md missing")
    doc = load_one(card, root)
    assert doc.title == "Card sorting" and doc.metadata["category"] == "Validate"
    assert doc.metadata["timeRequired"] and doc.blocks[0].section == ()
    assert doc.blocks[0].text.startswith("A categorization exercise")
    play_doc = load_one(play, root)
    assert play_doc.metadata["play_number"] == 1 and play_doc.title == "Understand what people need"
    assert all(not k.startswith("_") for k in KNOWN_FIELDS)


@pytest.mark.shared
@pytest.mark.parametrize("suffix", [".pdf", ".docx"])
def test_corpora_techfar_handbook(suffix: str) -> None:
    root = corpora()
    path = root / "usds-playbook" / f"techfar-handbook-2014-08-07{suffix}"
    if not path.is_file():
        pytest.skip(f"../shared/corpora not present: {path.name} missing")
    doc = load_one(path, root)
    assert len(doc.blocks) > 20
    assert "TechFAR" in doc.title
    assert "Agile software development" in doc.text
    if suffix == ".pdf":
        pages = [b.page for b in doc.blocks]
        assert all(isinstance(p, int) for p in pages) and pages == sorted(pages)
        assert min(pages) == 1 and max(pages) >= 30
    else:
        assert all(b.page is None for b in doc.blocks)
        assert any(b.section for b in doc.blocks)

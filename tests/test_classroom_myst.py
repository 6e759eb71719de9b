"""The book's MyST as plain Markdown (deepwhy.classroom.myst), and `make student`'s output read back."""
import json
import pathlib
import subprocess

import nbformat
import pytest

from deepwhy.classroom import myst

ROOT = pathlib.Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
BIB = """@article{smith2020,
  author = {Smith, Ann and Jones, Bob and Lee, Cy},
  title = {A {Study}},
  journal = {Journal},
  year = {2020},
  url = {https://example.org/a}
}
@misc{doe2019,
  author = {Doe, Jane},
  title = {Notes},
  howpublished = {\\url{https://example.org/b}},
  year = {2019}
}
"""
# What may never be left in a student copy's markdown (issue 19).
MARKUP = ["{term}", "{footcite", "{cite", "{glue", "{doc}", "{ref}", "{numref}", ":label:", "```{exercise",
          ":::{exercise", "{solution-start}", "{solution-end}", "{footbibliography}", "{index}", ")=\n"]


@pytest.fixture
def ctx(tmp_path):
    (tmp_path / "references.bib").write_text(BIB)
    intro = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Why it works\n\nText.")])
    nbformat.write(intro, tmp_path / "01_intro.ipynb")
    (tmp_path / "glossary.md").write_text("# Glossary\n")
    c = myst.Context(tmp_path)
    c.start_notebook({"sec-a": ("Section A", "#Section-A")})
    return c


@pytest.mark.parametrize("text, expected", [
    ("{term}`Backprop <backpropagation>` and {term}`parity`", "Backprop and parity"),
    ("{footcite:t}`smith2020` shows it {footcite:p}`doe2019`", "Smith et al. (2020) shows it (Doe, 2019)"),
    ("{cite:p}`smith2020,doe2019`", "(Smith et al., 2020; Doe, 2019)"),
    ("{cite:p}`unknown`", "(unknown, n.d.)"),
    ("see {doc}`01_intro` and {doc}`Chapter 1 <01_intro>`",
     "see [Why it works](01_intro.ipynb) and [Chapter 1](01_intro.ipynb)"),
    ("the {doc}`glossary`", "the Glossary"),
    ("{ref}`sec-a`, {ref}`that part <sec-a>`, {ref}`elsewhere`",
     "[Section A](#Section-A), [that part](#Section-A), elsewhere"),
    ("cost {glue:text}`ch2-cost` here", f"cost {myst.GLUE_TEXT} here"),
    ("{func}`~deepwhy.nets.mlp` and {math}`x^2` and H{sub}`2`O", "`deepwhy.nets.mlp` and $x^2$ and H<sub>2</sub>O"),
    ("code `{term}` and math $a{term}`b`$ stay", "code `{term}` and math $a{term}`b`$ stay"),
    ("- a list item with {term}`x`\n  continued {term}`y` here", "- a list item with x\n  continued y here"),
    ("| a | {term}`b` |\n|---|---|\n| {term}`c` | {term}`c` |", "| a | b |\n|---|---|\n| c | c |"),
    ("(sec-a)=\n## Section A\n\nText.", "## Section A\n\nText."),
    ("% a comment\nText.", "Text."),
    ("```{note}\nRead {term}`this`.\n```", "> **Note**\n>\n> Read this."),
    (":::{admonition} Careful\nTwo\n\nparagraphs.\n:::", "> **Careful**\n>\n> Two\n>\n> paragraphs."),
    ("```{math}\nx = 1\n```", "$$\nx = 1\n$$"),
    ("```python\n{term}`not a role`\n```", "```python\n{term}`not a role`\n```"),
], ids=lambda v: v[:30] if isinstance(v, str) else "")
def test_roles_directives_and_targets_become_plain_markdown(ctx, text, expected):
    assert myst.to_plain(text, ctx) == expected
    assert not myst.has_myst(myst.to_plain(text, ctx)) or "```python" in text or "stay" in text


def test_text_without_myst_is_kept_byte_for_byte():
    text = "# Title\n\nA *b* `c` $d$ [e](f)\n\n\n- g\n"
    assert myst.to_plain(text) == text
    assert not myst.has_myst(text)


def test_footbibliography_lists_the_works_cited_so_far(ctx):
    myst.to_plain("{footcite:t}`doe2019` and {footcite:p}`smith2020`", ctx)
    out = myst.to_plain("## References\n\n```{footbibliography}\n```", ctx)
    assert out == ("## References\n\n"
                   "- Jane Doe (2019). *Notes*. https://example.org/b.\n"
                   "- Ann Smith, Bob Jones, Cy Lee (2020). *A Study*. Journal. <https://example.org/a>")


def test_directive_options_and_body():
    (token,) = [t for t in myst.parse("```{exercise} A title\n:label: ex-a\n:nonumber:\n\nBody *text*.\n```")
                if t.type == "fence"]
    d = myst.directive(token)
    assert (d.name, d.argument, d.options, d.body) == ("exercise", "A title", {"label": "ex-a", "nonumber": ""},
                                                       "Body *text*.")


# -- `make student` -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def made_student(tmp_path_factory):
    """Run `make student` into a temporary folder (the venv is taken as it is: -o skips its set-up)."""
    out = tmp_path_factory.mktemp("make-student")
    done = subprocess.run(["make", "-s", "-o", ".venv/.installed", "student", f"STUDENT_DIR={out}"], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return out


def test_make_student_writes_every_notebook(made_student):
    assert sorted(p.name for p in made_student.glob("*.ipynb")) == sorted(p.name for p in BOOK.glob("*.ipynb"))


def test_make_student_leaves_no_myst_markup_and_no_book_only_cell(made_student):
    for path in sorted(made_student.glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        for i, cell in enumerate(cells):
            assert "remove-cell" not in cell.get("metadata", {}).get("tags", []), (path.name, i)
            if cell["cell_type"] == "markdown":
                text = "".join(cell["source"])
                found = [m for m in MARKUP if m in text]
                assert found == [], (path.name, i, found)
                assert not myst.has_myst(text), (path.name, i)


def test_make_student_statements_are_headings_with_their_number_and_title(made_student):
    nb = nbformat.read(made_student / "02_backprop.ipynb", as_version=4)
    headings = [t for c in nb.cells if c.cell_type == "markdown" for _, t in myst.headings(c.source)
                if t.startswith("Exercise ")]
    assert headings[0] == "Exercise 2.1: The backward rule of tanh"
    assert len(headings) == 3

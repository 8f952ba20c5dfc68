"""The project explains its own domain: code cites `docs/...`, never a spec file that a
clone of the repository does not have, and every page it cites exists and is indexed."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
SOURCES = (
    "mache",
    "shops",
    "catalogue",
    "inventory",
    "accounting",
    "purchasing",
    "payments",
    "worker",
    "tests",
    "bench",
)
# A page name not preceded by "docs/", or a path into the shared folder outside the repo.
OUTSIDE = re.compile(
    r"\.\./shared|shared/"
    r"spec|(?<![\w/])(?<!docs/)"
    r"(?:consolidation|accounting|api|product|money|einvoicing)\.md"
)
CITED = re.compile(r"docs/([\w-]+\.md)")


def python_files():
    for folder in SOURCES:
        yield from sorted((ROOT / folder).rglob("*.py")) if (ROOT / folder).is_dir() else ()


def test_no_comment_cites_a_file_outside_the_repository():
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in python_files()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if OUTSIDE.search(line)
    ]
    assert found == []


def test_every_cited_page_exists():
    missing = sorted(
        {
            f"{path.relative_to(ROOT)}: docs/{page}"
            for path in python_files()
            for page in CITED.findall(path.read_text(encoding="utf-8"))
            if not (DOCS / page).is_file()
        }
    )
    assert missing == []


def test_the_index_lists_every_page():
    index = (DOCS / "README.md").read_text(encoding="utf-8")
    pages = sorted(p.name for p in DOCS.glob("*.md") if p.name != "README.md")
    assert [page for page in pages if f"({page})" not in index] == []

"""Django's `{# #}` comment ends on its own line: one spread over several lines is printed
into the page as text (the order form once sent its comment to every phone). A list
is not an alert: role="alert" on a <ul> or <ol> takes its items out of any list
(axe-core "listitem"); the alert goes on an element around it (docs/accessibility.md)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def templates() -> list[Path]:
    found = [
        path
        for path in ROOT.glob("*/templates/**/*.html")
        if ".venv" not in path.parts and "var" not in path.parts
    ]
    assert found
    return found


def test_no_template_comment_spans_lines():
    open_comments = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in templates()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if line.count("{#") > line.count("#}")
    ]
    assert open_comments == [], "use {% comment %} for comments over several lines"


LIST_WITH_A_ROLE = re.compile(r"<(ul|ol)\b[^>]*\brole=", re.IGNORECASE)


def test_no_list_is_given_a_role():
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in templates()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if LIST_WITH_A_ROLE.search(line)
    ]
    assert found == [], 'put role="alert" on an element around the list'
    assert LIST_WITH_A_ROLE.search('<ul class="errorlist" role="alert">')  # it would see one

"""Django's `{# #}` comment ends on its own line: one spread over several lines is printed
into the page as text (the order form once sent its comment to every phone)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_no_template_comment_spans_lines():
    templates = [
        path
        for path in ROOT.glob("*/templates/**/*.html")
        if ".venv" not in path.parts and "var" not in path.parts
    ]
    assert templates
    open_comments = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in templates
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if line.count("{#") > line.count("#}")
    ]
    assert open_comments == [], "use {% comment %} for comments over several lines"

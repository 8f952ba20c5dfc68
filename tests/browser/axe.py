"""axe-core in the browser tests: run it on the page shown and fail with a list a
person can act on (rule, elements, what to do), for the serious and critical
violations. axe-core's script comes with axe-playwright-python (no network). What is
checked and why: docs/accessibility.md."""

from axe_playwright_python.sync_playwright import Axe

# The impacts that fail a test: a "serious" or "critical" violation keeps some people
# out of the page (no name for a control, text too pale to read, no language...).
FAILING = ("serious", "critical")
# WCAG 2.x A and AA, plus axe's best practices (landmarks, one h1, heading order).
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]

_axe = Axe()


def axe_violations(page) -> list[dict]:
    """axe-core's serious and critical violations on the page as it is now."""
    results = _axe.run(
        page, options={"runOnly": {"type": "tag", "values": TAGS}, "resultTypes": ["violations"]}
    )
    return [v for v in results.response["violations"] if v["impact"] in FAILING]


def describe(violations: list[dict], where: str = "") -> list[str]:
    """One line per violation: where, rule id, impact, the elements' selectors, the help."""
    lines = []
    for violation in violations:
        targets = ", ".join(" ".join(node["target"]) for node in violation["nodes"][:6])
        more = len(violation["nodes"]) - 6
        if more > 0:
            targets += f" (+{more})"
        lines.append(
            f"{where}{violation['id']} ({violation['impact']}): {targets}: {violation['help']}"
        )
    return lines


def assert_accessible(page, where: str = "") -> None:
    """Fail with the readable list of the page's serious and critical violations."""
    problems = describe(axe_violations(page), where or f"{page.url}: ")
    assert problems == [], "axe-core:\n" + "\n".join(problems)

"""No test module reads the clock when it is imported: a day, a month or a year read at
import is as old as the run, and a run that crosses midnight in Paris (23:00 UTC in
winter) would compare yesterday's date with the day the code reads. Tests read them as
they run: the `today` fixture (tests/conftest.py), a fixture of their module, or a call
in the test; parameters name a day ("today", "tomorrow") that the test reads."""

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent
# mache.periods' and django.utils.timezone's readers of the clock, and datetime's.
CLOCK = {"paris_today", "paris_now", "current_month", "now", "today", "localdate", "localtime"}


def clock_reads_at_import(tree: ast.AST) -> list[ast.Call]:
    """The calls of CLOCK evaluated on import: in the module's and classes' bodies, in
    decorators (parametrize) and in default values; not in function bodies or lambdas."""
    found = []

    def visit(node):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                for evaluated in [*child.decorator_list, *child.args.defaults]:
                    visit(ast.Expression(evaluated))
                for evaluated in child.args.kw_defaults:
                    if evaluated is not None:
                        visit(ast.Expression(evaluated))
                continue
            if isinstance(child, ast.Lambda):
                continue
            if isinstance(child, ast.Call):
                function = child.func
                name = function.attr if isinstance(function, ast.Attribute) else None
                name = function.id if isinstance(function, ast.Name) else name
                if name in CLOCK:
                    found.append(child)
            visit(child)

    visit(tree)
    return found


def test_no_test_module_reads_the_clock_at_import():
    found = [
        f"{path.relative_to(TESTS.parent)}:{call.lineno}: {ast.unparse(call)}"
        for path in sorted(TESTS.rglob("*.py"))
        for call in clock_reads_at_import(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert found == []


def test_the_check_finds_the_reads_at_import():
    source = """
TODAY = paris_today()
class Dates:
    MONTH = current_month()
@pytest.mark.parametrize("day", [timezone.localdate()])
def test_a(day, when=timezone.now()):
    return paris_today()
later = lambda: paris_today()
"""
    found = [ast.unparse(call) for call in clock_reads_at_import(ast.parse(source))]
    assert found == ["paris_today()", "current_month()", "timezone.localdate()", "timezone.now()"]

"""Helpers shared by the tests: documents read back as text (PDF through poppler, pages
as HTML), snapshots of rows, and the URL walk.

The URL walk: every route of the project, found through Django's URL resolver, so
that a route added later is walked as soon as it is routed. Shared by the tenancy walk
(tests/test_tenancy_walk.py), the page walk (tests/test_pages.py) and the bad-input fuzz
(tests/test_bad_input_walk.py).
"""

import hashlib
import html
import re
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

from django.apps import apps
from django.db import transaction
from django.test.utils import override_settings
from django.urls import URLPattern, URLResolver, get_resolver

from mache.formats import NBSP

# Pictures of pages and documents for people to look at (git-ignored).
ARTEFACTS = Path(__file__).resolve().parents[1] / "artefacts"


# --- PDF read back with poppler -------------------------------------------------------


def pdf_text(data: bytes, tmp_path: Path, *, page: int | None = None) -> str:
    """The PDF's text laid out as on the page; no-break spaces read as plain ones, so
    that expected values built with mache.formats compare through `plain()`."""
    path = tmp_path / "document.pdf"
    path.write_bytes(data)
    pages = ["-f", str(page), "-l", str(page)] if page else []
    result = subprocess.run(
        ["pdftotext", "-layout", *pages, str(path), "-"], capture_output=True, check=True, text=True
    )
    return plain(result.stdout)


def plain(text: str) -> str:
    return text.replace(NBSP, " ")


def squeezed(text: str) -> str:
    """pdftotext -layout pads columns with runs of spaces: one space is enough to
    compare a row's cells in order."""
    return " ".join(text.split())


def page_count(data: bytes, tmp_path: Path) -> int:
    path = tmp_path / "document.pdf"
    path.write_bytes(data)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True, text=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)$", info, re.MULTILINE).group(1))


def save_pages_png(data: bytes, tmp_path: Path, name: str, pages=(1, 2)) -> list[Path]:
    """Pages of the PDF as PNG in artefacts/: <name>-1.png, <name>-2.png."""
    ARTEFACTS.mkdir(exist_ok=True)
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(data)
    saved = []
    for page in pages:
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "60",
                "-f",
                str(page),
                "-l",
                str(page),
                "-singlefile",
                str(path),
                str(ARTEFACTS / f"{name}-{page}"),
            ],
            check=True,
        )
        saved.append(ARTEFACTS / f"{name}-{page}.png")
    return saved


def save_first_page_png(data: bytes, tmp_path: Path, name: str) -> Path:
    """Page 1 as a PNG in artefacts/, for people to look at the layout."""
    ARTEFACTS.mkdir(exist_ok=True)
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(data)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "60",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(path),
            str(ARTEFACTS / name),
        ],
        check=True,
    )
    return ARTEFACTS / f"{name}.png"


# --- Pages read back ------------------------------------------------------------------


def eur(text: str) -> str:
    """'5,28 €' with the no-break space the pages print before the euro sign."""
    return text.replace(" €", f"{NBSP}€")


def text_of(response) -> str:
    """The page's HTML with its entities read (&#x27; as ', &nbsp; as a no-break space)."""
    return html.unescape(response.content.decode())


def page_text(response) -> str:
    """text_of() with the layout's whitespace collapsed, not the no-break spaces of
    amounts."""
    return re.sub(r"[ \t\r\n]+", " ", text_of(response))


# --- Snapshots of rows ----------------------------------------------------------------


def rows_of(*models) -> list[list[tuple]]:
    """Every row of the models, as stored, in pk order: any write changes it."""
    return [list(model.objects.order_by("pk").values_list()) for model in models]


def tables_digest(app_labels) -> str:
    """A digest of every row of the apps' tables: any write changes it."""
    digest = hashlib.sha256()
    for label in app_labels:
        for model in apps.get_app_config(label).get_models():
            rows = model.objects.order_by("pk").values_list()
            digest.update(repr((model._meta.label, list(rows))).encode())
    return digest.hexdigest()


# --- Rows built once for a module -----------------------------------------------------

# The hasher of the tests (tests/conftest.py, _fast_passwords): PBKDF2's deliberate
# slowness buys nothing in tests.
FAST_PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def built_for_the_module(django_db_blocker, build: Callable[[], object]) -> Iterator[object]:
    """What `build()` writes, written once for the tests of a module rather than once per
    test: a module-scoped fixture yields from this, and the tests' own fixture takes it
    with `db` and a `copy.deepcopy` of what it returned.

    As Django's TestCase.setUpTestData: the rows are written in a transaction opened for
    the module; each test runs in a savepoint of it (pytest-django's `db` nests its
    atomic block), so what a test writes is rolled back at its end and the next test
    finds the rows as built; the module's transaction is rolled back after its last test
    (pytest tears a module's fixtures down before the next module's tests, under xdist
    too). The deep copy gives each test instances of its own, as setUpTestData does.
    Not for transactional tests: their flush would empty the module's rows as well."""
    atomic = transaction.atomic()
    # As the tests' own atomic blocks (django.test.TestCase._enter_atomics): a durable
    # block inside the build is the services' outermost one, as it is in a test.
    atomic._from_testcase = True
    with django_db_blocker.unblock():
        atomic.__enter__()
        try:
            with override_settings(PASSWORD_HASHERS=FAST_PASSWORD_HASHERS):
                built = build()
        except BaseException as error:
            atomic.__exit__(type(error), error, error.__traceback__)  # rolled back
            raise
    try:
        yield built
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


# --- The URL walk ---------------------------------------------------------------------

# Not data endpoints: the schema, its viewer, and the login (which sees no shop).
SKIPPED = {"api/schema/", "api/docs/", "api/auth/token/"}
METHODS = ["get", "post", "put", "patch", "delete"]
GROUP_RE = re.compile(r"\(\?P<(\w+)>[^)]*\)|<(?:\w+:)?(\w+)>")
PAGE_GROUP_RE = re.compile(r"<(?:\w+:)?(\w+)>")


def _walk(patterns, prefix, *, strip: bool):
    for pattern in patterns:
        text = str(pattern.pattern)
        if strip:
            text = text.lstrip("^").rstrip("$").replace("\\", "")
        route = prefix + text
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, route, strip=strip)
        elif isinstance(pattern, URLPattern):
            yield route, pattern


def api_routes(*, skipped=SKIPPED):
    """(route template, view callback) for every pattern under api/."""
    for route, pattern in _walk(get_resolver().url_patterns, "", strip=True):
        if (
            route.startswith("api/")
            and route not in skipped
            and ".(?P<format>" not in route
            and "<format>" not in route
        ):
            yield route, pattern.callback


def page_routes():
    """(route template, pattern) of every page: the routes outside /api/ and /admin/."""
    for route, pattern in _walk(get_resolver().url_patterns, "", strip=False):
        if route.startswith(("api/", "admin/", "healthz", "connexion", "deconnexion")):
            continue
        if route.startswith("^") or "(?P" in route:
            continue
        yield route, pattern


def methods_of(callback) -> list[str]:
    if hasattr(callback, "actions"):  # a viewset route
        return [m for m in METHODS if m in callback.actions]
    view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    return [m for m in METHODS if view_class and hasattr(view_class, m)]


def fill(route, value) -> str:
    return "/" + GROUP_RE.sub(str(value), route)


def view_class_of(callback):
    return getattr(callback, "cls", None) or getattr(callback, "view_class", None)


def target_of(model, shop_field, foreign):
    """The foreign world's object of `model` (any object, for cooperative-wide models)."""
    if shop_field is None:
        return model.objects.order_by("-pk").first()
    return model.objects.filter(**{shop_field: foreign["shop"].pk}).order_by("-pk").first()

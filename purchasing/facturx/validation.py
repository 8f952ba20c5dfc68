"""The CII XML checked against the three rule sets of docs/e-invoicing.md ("The CII XML and
its validation"): the Factur-X EN 16931 XSD, the EN 16931 schematron (the official
compiled XSLT, copied in `rules/`) and the French CTC schematron (`BR-FR-*`, shipped by
the `factur-x` package), the two schematrons run with saxonche.

Each XSLT is compiled once per process and kept (compiling costs about a second; running
it a few milliseconds per document). Saxon's processor is not shared between threads
without a lock: one lock serialises the transforms of a process.
"""

import functools
import threading
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from lxml import etree

from mache.errors import BusinessRuleError

RULES_DIR = Path(__file__).resolve().parent / "rules"
SVRL = "http://purl.oclc.org/dsdl/svrl"

# Where the rule sets live: the official EN 16931 one is ours (EUPL, rules/SOURCES.md);
# the XSD and the French one are the factur-x package's.
EN16931_XSLT = RULES_DIR / "EN16931-CII-validation.xslt"


def _facturx_file(relative: str) -> Path:
    return Path(str(resources.files("facturx").joinpath("xsd_and_schematron", relative)))


FACTURX_XSD = "facturx-en16931/Factur-X_EN16931.xsd"
BR_FR_XSLT = "cii-schematron-fr-ctc/BR-FR-Flux2-Schematron-CII.xslt"

# The flags a document must never raise; an assertion without a flag counts as an error
# (both rule files flag every assertion they mean as a warning).
BLOCKING = ("fatal", "error")


@dataclass(frozen=True)
class Failure:
    """One failed rule: `source` is "xsd", "en16931" or "br-fr"."""

    source: str
    rule_id: str
    flag: str
    text: str
    location: str = ""

    @property
    def blocking(self) -> bool:
        return self.flag in BLOCKING


class FacturXInvalid(BusinessRuleError):
    """The document would not be a valid e-invoice: it is not issued (409, the rules
    named in `rules`)."""

    code = "einvoice_invalid"

    def __init__(self, failures: list[Failure], *, document: str = "La facture"):
        self.failures = failures
        # One mention per rule (a rule fails once per line or per VAT rate).
        by_rule = {}
        for failure in failures:
            by_rule.setdefault(failure.rule_id, failure)
        named = "; ".join(f"{f.rule_id} : {f.text}" for f in list(by_rule.values())[:5])
        more = f" (et {len(by_rule) - 5} autres)" if len(by_rule) > 5 else ""
        super().__init__(
            f"{document} ne serait pas une facture électronique valide (EN 16931, "
            f"règles françaises) et n'est pas émise. Règles non respectées : {named}{more}.",
            rules=list(by_rule),
        )


@functools.cache
def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(_facturx_file(FACTURX_XSD))))


_lock = threading.Lock()


@functools.cache
def _processor():
    from saxonche import PySaxonProcessor

    return PySaxonProcessor(license=False)


@functools.cache
def _executable(path: str):
    """The compiled stylesheet at `path`: compiled once per process (call under _lock)."""
    compiler = _processor().new_xslt30_processor()
    executable = compiler.compile_stylesheet(stylesheet_file=path)
    if executable is None:  # pragma: no cover - the files ship with the code
        raise RuntimeError(f"cannot compile {path}")
    return executable


def schematrons() -> dict[str, str]:
    return {"en16931": str(EN16931_XSLT), "br-fr": str(_facturx_file(BR_FR_XSLT))}


def warm_up() -> None:
    """Compile both schematrons now (a worker may call it at start)."""
    with _lock:
        for path in schematrons().values():
            _executable(path)


def xsd_failures(xml: bytes) -> list[Failure]:
    try:
        tree = etree.fromstring(xml)
    except etree.XMLSyntaxError as exc:
        return [Failure("xsd", "XML", "fatal", f"XML mal formé : {exc}")]
    schema = _schema()
    if schema.validate(tree):
        return []
    return [
        Failure("xsd", "XSD", "fatal", error.message, f"ligne {error.line}")
        for error in schema.error_log
    ]


def _svrl_failures(source: str, svrl: str) -> list[Failure]:
    root = etree.fromstring(svrl.encode())
    failures = []
    for node in root.iter(f"{{{SVRL}}}failed-assert"):
        text = " ".join("".join(node.itertext()).split())
        failures.append(
            Failure(
                source,
                node.get("id") or "",
                node.get("flag") or "error",
                text,
                node.get("location") or "",
            )
        )
    return failures


def schematron_failures(xml: bytes, *, rule_sets=None) -> list[Failure]:
    """The failed assertions of both schematrons (or of the `rule_sets` named, e.g.
    ("en16931",) for a supplier's invoice: docs/supplier-invoices.md), of every flag."""
    failures = []
    with _lock:
        node = _processor().parse_xml(xml_text=xml.decode())
        for source, path in schematrons().items():
            if rule_sets is not None and source not in rule_sets:
                continue
            svrl = _executable(path).transform_to_string(xdm_node=node)
            failures += _svrl_failures(source, svrl)
    return failures


def cii_failures(xml: bytes, *, blocking_only: bool = True) -> list[Failure]:
    """What the XSD and the two schematrons find wrong in `xml`: the failures of flag
    `fatal` or `error` (all of them, warnings too, with `blocking_only=False`). A file the
    XSD refuses is not run through the schematrons (their rules assume its structure)."""
    failures = xsd_failures(xml)
    if not failures:
        failures = schematron_failures(xml)
    if blocking_only:
        failures = [failure for failure in failures if failure.blocking]
    return failures


def cii_check(xml: bytes, *, document: str = "La facture") -> None:
    """Raise FacturXInvalid naming the rules `xml` breaks (module doc)."""
    if failures := cii_failures(xml):
        raise FacturXInvalid(failures, document=document)

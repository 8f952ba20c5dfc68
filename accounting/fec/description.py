"""The description that accompanies a FEC (docs/fec.md, "The description"): a French
text for the tax administration naming the file's fields, the journals, the numbering,
the accounts, the lettering, the encoding and the separator.

Everything it lists comes from the file itself: it reads `fec_lines` once, through the
same server-side cursor as the export (`fec_chunks`), keeping only what it describes
(journals, accounts, counts), so it describes exactly the file `fec_stream` sends.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction

from mache.formats import format_date, format_eur, plural
from mache.identifiers import siren_of
from shops.models import Cooperative

from ..years import fiscal_year_named
from .check import parse_fec_amount, parse_fec_date
from .export import _siret_of, fec_lines
from .format import COLUMN, EOL, FIELDS, OPENING_JOURNAL, SEPARATOR, ZERO, fec_filename

# What each field holds in MACHE's file (the list of article A47 A-1, in its order).
FIELD_MEANINGS = {
    "JournalCode": "code du journal",
    "JournalLib": "libellé du journal",
    "EcritureNum": "numéro de l'écriture, unique dans le fichier (voir « Numérotation »)",
    "EcritureDate": "date de comptabilisation de l'écriture",
    "CompteNum": "numéro du compte général (plan comptable général)",
    "CompteLib": "libellé du compte général",
    "CompAuxNum": "code du compte auxiliaire (client, fournisseur) ; vide sinon",
    "CompAuxLib": "libellé du compte auxiliaire ; vide sinon",
    "PieceRef": "référence de la pièce justificative",
    "PieceDate": "date de la pièce justificative",
    "EcritureLib": "libellé de la ligne d'écriture",
    "Debit": "montant au débit (0,00 si la ligne est au crédit)",
    "Credit": "montant au crédit (0,00 si la ligne est au débit)",
    "EcritureLet": "lettrage de la ligne ; vide si elle n'est pas lettrée",
    "DateLet": "date du lettrage ; vide si la ligne n'est pas lettrée",
    "ValidDate": "date de validation de l'écriture (jour où elle a été passée, heure de Paris)",
    "Montantdevise": "montant en devise ; vide (toutes les écritures sont en euros)",
    "Idevise": "code de la devise ; vide (toutes les écritures sont en euros)",
}


@dataclass
class _Journal:
    label: str
    entries: int = 0
    first: str = ""
    last: str = ""
    piece_example: str = ""


@dataclass
class _Contents:
    """What the description says of the file, gathered in one pass."""

    lines: int = 0
    entries: int = 0
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    lettered: int = 0
    first_date: dt.date | None = None
    last_date: dt.date | None = None
    journals: dict[str, _Journal] = field(default_factory=dict)
    accounts: dict[str, str] = field(default_factory=dict)
    auxiliaries: dict[str, str] = field(default_factory=dict)

    def read(self, values: list[str]):
        get = values.__getitem__
        self.lines += 1
        code, num = get(COLUMN["JournalCode"]), get(COLUMN["EcritureNum"])
        journal = self.journals.get(code)
        if journal is None:
            journal = self.journals[code] = _Journal(get(COLUMN["JournalLib"]))
        if num != journal.last:
            self.entries += 1
            journal.entries += 1
            journal.first = journal.first or num
            journal.last = num
            journal.piece_example = journal.piece_example or get(COLUMN["PieceRef"])
        self.accounts.setdefault(get(COLUMN["CompteNum"]), get(COLUMN["CompteLib"]))
        if get(COLUMN["CompAuxNum"]):
            self.auxiliaries.setdefault(get(COLUMN["CompAuxNum"]), get(COLUMN["CompAuxLib"]))
        self.debit += parse_fec_amount(get(COLUMN["Debit"]))
        self.credit += parse_fec_amount(get(COLUMN["Credit"]))
        if get(COLUMN["EcritureLet"]):
            self.lettered += 1
        day = parse_fec_date(get(COLUMN["EcritureDate"]))
        if day is not None:
            self.first_date = min(self.first_date or day, day)
            self.last_date = max(self.last_date or day, day)


def _owner(ledger) -> tuple[str, str]:
    """(legal name, SIRET) of the ledger's owner: the shop or the cooperative."""
    if ledger.shop_id:
        return ledger.shop.legal_name or ledger.shop.name, ledger.shop.siret
    cooperative = Cooperative.current()
    return cooperative.legal_name or cooperative.name, cooperative.siret


def fec_description(*, ledger, year: int) -> tuple[str, str]:
    """(file name, text) of the description of the FEC of `ledger`'s fiscal year `year`.

    Refuses as the export does (no SIRET: 409 `cooperative_missing`), before reading."""
    siret = _siret_of(ledger)
    span = fiscal_year_named(ledger=ledger, name=year)  # docs/fiscal-years.md
    start, closing = span.start, span.end
    filename = fec_filename(siren=siren_of(siret), closing=closing)
    contents = _Contents()
    with transaction.atomic(savepoint=False):
        lines = fec_lines(ledger=ledger, year=year, start=start)
        next(lines)  # the header
        for line in lines:
            contents.read(line.removesuffix(EOL).split(SEPARATOR))
    name, siret = _owner(ledger)
    text = _text(contents, name=name, siret=siret, filename=filename, start=start, closing=closing)
    return filename.removesuffix(".txt") + "_description.txt", text


def _text(c: _Contents, *, name, siret, filename, start, closing) -> str:
    out: list[str] = []
    add = out.append
    add("DESCRIPTION DU FICHIER DES ÉCRITURES COMPTABLES (FEC)")
    add("Article A47 A-1 du Livre des procédures fiscales")
    add("")
    add(f"Entreprise : {name}, SIRET {siret} (SIREN {siret[:9]})")
    add(f"Exercice : du {format_date(start)} au {format_date(closing)}")
    add(f"Fichier : {filename}")
    add("Logiciel : MACHE, logiciel de gestion de la coopérative")
    add(
        f"Contenu : {plural(c.lines, 'ligne', 'lignes')} d'écriture (en-tête non compris), "
        f"{plural(c.entries, 'écriture', 'écritures')}"
        + (
            f", datées du {format_date(c.first_date)} au {format_date(c.last_date)}"
            if c.first_date
            else ""
        )
    )
    add(f"Total des débits : {format_eur(c.debit)} ; total des crédits : {format_eur(c.credit)}")
    add("")
    add("1. FORMAT")
    add("- Fichier texte à plat, encodé en UTF-8 (sans BOM).")
    add("- Champs séparés par une tabulation ; lignes terminées par CR LF.")
    add("- Première ligne : les noms des 18 champs, dans l'ordre de l'article A47 A-1.")
    add("- Dates au format AAAAMMJJ.")
    add(
        "- Montants en euros, virgule décimale, deux décimales, sans séparateur de "
        "milliers, jamais négatifs : le sens est donné par la colonne Debit ou Credit."
    )
    add(
        "- Les textes ne contiennent ni tabulation, ni « | », ni retour à la ligne "
        "(remplacés par une espace)."
    )
    add("")
    add("2. CHAMPS")
    for position, name_ in enumerate(FIELDS, 1):
        add(f"{position:>2}. {name_} : {FIELD_MEANINGS[name_]}")
    add("")
    add("3. JOURNAUX")
    if c.journals:
        for code, journal in sorted(c.journals.items(), key=lambda item: item[0] != "AN"):
            numbers = (
                journal.first
                if journal.first == journal.last
                else f"de {journal.first} à {journal.last}"
            )
            add(
                f"- {code} : {journal.label} ({plural(journal.entries, 'écriture', 'écritures')}"
                f", {numbers} ; pièce par exemple « {journal.piece_example} »)"
            )
    else:
        add("- Aucune écriture sur l'exercice : le fichier ne contient que son en-tête.")
    add("")
    add("4. NUMÉROTATION")
    add(
        "- EcritureNum : <code du journal>-<année>-<numéro sur six chiffres>, par "
        "exemple VTE-2026-000012. Le numéro est attribué à la validation de l'écriture, "
        "par journal et par exercice, continu et sans trou ; il n'est jamais réutilisé."
    )
    add(
        f"- Les à-nouveaux forment l'écriture {OPENING_JOURNAL}-<année>-000001 du journal "
        f"{OPENING_JOURNAL}, datée du premier jour de l'exercice, en tête du fichier."
    )
    add(
        "- Les lignes suivent l'ordre de validation des écritures (ValidDate croissante), "
        "puis le journal et le numéro ; les lignes d'une écriture se suivent."
    )
    add(
        "- PieceRef : la référence de la pièce justificative (numéro de la facture, "
        "ticket Z « Z-AAAAMMJJ » de la caisse du jour, « STOCK-AAAAMM » pour la variation "
        "de stock du mois, référence saisie par le comptable pour une écriture manuelle) ; "
        "PieceDate est la date de cette pièce."
    )
    add(
        "- Une écriture validée n'est jamais modifiée ni supprimée : une erreur se corrige "
        "par une écriture d'extourne, qui a son propre numéro."
    )
    add("")
    add("5. PLAN DE COMPTES")
    add(
        "Plan comptable général (règlement ANC 2014-03) ; comptes présents dans le "
        f"fichier ({plural(len(c.accounts), 'compte', 'comptes')}) :"
    )
    for number, label in sorted(c.accounts.items()):
        add(f"- {number} : {label}")
    if c.auxiliaries:
        add("")
        add(
            "Comptes auxiliaires (CompAuxNum), clients et fournisseurs "
            f"({plural(len(c.auxiliaries), 'compte', 'comptes')}) :"
        )
        for code, label in sorted(c.auxiliaries.items()):
            add(f"- {code} : {label}")
    add("")
    add("6. LETTRAGE")
    if c.lettered:
        add(
            f"- {plural(c.lettered, 'ligne lettrée', 'lignes lettrées')} : EcritureLet porte "
            "le code de lettrage, DateLet la date du lettrage."
        )
    else:
        add(
            "- Aucune ligne n'est lettrée dans ce fichier : EcritureLet et DateLet sont "
            "vides. Les comptes auxiliaires (CompAuxNum) identifient clients et fournisseurs."
        )
    add("")
    add("7. DEVISES")
    add("- Toutes les écritures sont en euros : Montantdevise et Idevise sont vides.")
    return "\r\n".join(out) + "\r\n"

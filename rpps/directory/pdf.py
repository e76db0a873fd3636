"""The practitioner sheet: the public information of the practitioner page on one A4 page (reportlab).

Always one page: what does not fit is cut with a line sending to the web page, which has everything.
"""

import datetime
import io
import unicodedata

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen import canvas

MARGIN = 18 * mm
WIDTH, HEIGHT = A4
TEXT_WIDTH = WIDTH - 2 * MARGIN
BOTTOM = MARGIN + 14 * mm  # room for the footer


def _printable(text: str) -> str:
    """The standard PDF fonts cover Windows-1252: other characters lose their accent or become '?'."""
    out = []
    for ch in text:
        try:
            ch.encode("cp1252")
            out.append(ch)
        except UnicodeEncodeError:
            base = unicodedata.normalize("NFKD", ch).encode("cp1252", "ignore").decode("cp1252")
            out.append(base or "?")
    return "".join(out)


class _Sheet:
    def __init__(self, pdf: canvas.Canvas):
        self.pdf, self.y, self.full = pdf, HEIGHT - MARGIN, False

    def line(self, text: str, *, size: float = 10, bold: bool = False, indent: float = 0, gap: float = 1.5) -> bool:
        """Write wrapped text; False once the page is full (later lines are dropped)."""
        if self.full:
            return False
        font = "Helvetica-Bold" if bold else "Helvetica"
        lines = simpleSplit(_printable(text), font, size, TEXT_WIDTH - indent)
        height = len(lines) * size * 1.25
        if self.y - height < BOTTOM + 12:
            self.full = True
            self.pdf.setFont("Helvetica-Oblique", 9)
            self.pdf.drawString(
                MARGIN, self.y - 10, "… la suite de cette fiche est sur la page web indiquée ci-dessous."
            )
            return False
        self.pdf.setFont(font, size)
        for text_line in lines:
            self.y -= size * 1.25
            self.pdf.drawString(MARGIN + indent, self.y, text_line)
        self.y -= gap
        return True


def practitioner_sheet(p: dict, page_url: str, *, today: datetime.date | None = None) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=True)
    pdf.setTitle(_printable(f"Fiche RPPS {p['rpps']} — {p['display_name']}"))
    pdf.setAuthor("Répertoire RPPS")
    sheet = _Sheet(pdf)
    sheet.line("Répertoire partagé des professionnels intervenant dans le système de santé (RPPS)", size=9)
    sheet.line(f"{p['civility']} {p['display_name']}".strip(), size=18, bold=True, gap=4)
    sheet.line(f"Numéro RPPS : {p['rpps']}    Identifiant national (IDNPS) : {p['idnps']}", gap=6)
    for exercise in p["exercises"]:
        names = f"{exercise['civility']} {exercise['first_name']} {exercise['last_name']}".strip()
        sheet.line(f"{exercise['profession']} — {names}", size=12, bold=True, gap=2)
        sheet.line(f"Catégorie professionnelle : {exercise['category']}", indent=4)
        for e in exercise["expertises"]:
            sheet.line(f"{e['type']} : {e['label']}", indent=4)
        for label in exercise["diplomas"]:
            sheet.line(f"Diplôme : {label}", indent=4)
        for label in exercise["authorizations"]:
            sheet.line(f"Autorisation d'exercice : {label}", indent=4)
        if not exercise["situations"]:
            sheet.line("Aucune situation d'exercice en cours.", indent=4)
        for situation in exercise["situations"]:
            structure = situation["structure"]
            what = ", ".join(x for x in (situation["mode"], situation["role"] or situation["function"]) if x)
            sheet.line(f"{structure['display_name']}" + (f" ({what})" if what else ""), bold=True, indent=4, gap=0)
            sheet.line(" — ".join(structure["address"]), indent=8, size=9)
            if structure["phone"]:
                sheet.line(f"Téléphone : {structure['phone']}", indent=8, size=9)
        sheet.y -= 4
    if p["mailboxes"]:
        sheet.line("Messagerie sécurisée de santé (MSSanté)", size=12, bold=True, gap=2)
        for address in p["mailboxes"]:
            sheet.line(address, indent=4)
    day = today or datetime.date.today()
    pdf.setFont("Helvetica", 8)
    pdf.drawString(MARGIN, MARGIN + 6 * mm, _printable(f"Informations publiques du répertoire RPPS au {day:%d/%m/%Y}."))
    pdf.drawString(MARGIN, MARGIN + 2 * mm, _printable(f"Page de ce professionnel : {page_url}"))
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()

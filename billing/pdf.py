"""An invoice as a PDF (ReportLab): its lines with the tax on each fee before credit, the
totals, the payments, and the credit note: every credit applied, each naming its claim.

It lays out a statement the view has read (billing.views.statement_of); it reads no rows.
"""

import io
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

PROVIDER = "SLA credit portal"
INK = colors.HexColor("#1d2733")
MUTED = colors.HexColor("#5b6776")
LINE = colors.HexColor("#d8dee6")


def file_name(invoice):
    if invoice.number:
        return f"{invoice.number}.pdf"
    return f"draft-invoice-{invoice.billing_account_id:05d}-{invoice.cycle_start:%Y%m%d}.pdf"


def title(invoice):
    return f"Invoice {invoice.number}" if invoice.number else "Draft invoice"


def _money(amount):
    return f"{amount:,.2f}"


def _table(rows, widths, *, money_from, total_row=False):
    """A table with a header row; columns from `money_from` on are amounts, right-aligned."""
    table = Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
    style = [
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8),
        ("TEXTCOLOR", (0, 0), (-1, 0), MUTED),
        ("FONT", (0, 1), (-1, -1), "Helvetica", 9),
        ("TEXTCOLOR", (0, 1), (-1, -1), INK),
        ("LINEBELOW", (0, 0), (-1, -1), 0.5, LINE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("ALIGN", (money_from, 0), (-1, -1), "RIGHT"),
    ]
    if total_row:
        style.append(("FONT", (0, -1), (-1, -1), "Helvetica-Bold", 9))
    table.setStyle(TableStyle(style))
    return table


def invoice_pdf(statement):
    """The PDF's bytes."""
    invoice, totals = statement.invoice, statement.totals
    styles = getSampleStyleSheet()
    heading, small = styles["Heading2"], styles["Italic"]
    # Table cells that wrap, in the tables' own type size.
    body = ParagraphStyle("cell", parent=styles["BodyText"], fontSize=9, leading=11)
    heading_1 = ParagraphStyle("title", parent=styles["Title"], alignment=TA_LEFT)
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=title(invoice),
        author=PROVIDER,
        # The same invoice gives the same bytes (no creation time or random id in the file).
        invariant=True,
    )
    facts = [
        ("Billed to", str(invoice.billing_account.organisation)),
        ("Billing cycle", f"{invoice.cycle_start:%Y-%m-%d} to {statement.last_day:%Y-%m-%d}"),
        ("Status", invoice.get_status_display()),
    ]
    if invoice.issued_at:
        facts.append(("Issued", f"{invoice.issued_at:%Y-%m-%d}"))
    if invoice.due_on:
        facts.append(("Due", f"{invoice.due_on:%Y-%m-%d}"))
    story = [
        Paragraph(escape(title(invoice)), heading_1),
        Paragraph(escape(PROVIDER), small),
        Spacer(0, 4 * mm),
        Table(
            [[label, value] for label, value in facts],
            colWidths=[35 * mm, None],
            hAlign="LEFT",
            style=[
                ("FONT", (0, 0), (0, -1), "Helvetica-Bold", 9),
                ("FONT", (1, 0), (1, -1), "Helvetica", 9),
            ],
        ),
        Spacer(0, 6 * mm),
        Paragraph("Charges", heading),
    ]

    rows = [["Service", "Fee", "Tax", "Credit", "Amount"]]
    for row in statement.lines:
        rows.append(
            [
                Paragraph(escape(row.line.description), body),
                _money(row.line.amount),
                _money(row.line.tax),
                f"-{_money(row.credit)}" if row.credit else "",
                _money(row.net),
            ]
        )
    story.append(_table(rows, [82 * mm, 22 * mm, 20 * mm, 22 * mm, 28 * mm], money_from=1))
    story.append(
        Paragraph("Tax is charged on each fee before any credit.", small),
    )
    story.append(Spacer(0, 4 * mm))
    summary = [
        ["Summary", ""],
        ["Fees", _money(totals["fees"])],
        ["Tax (on the fees before credit)", _money(totals["tax"])],
        ["Credits applied", f"-{_money(totals['credits'])}"],
        ["Total", _money(totals["total"])],
        ["Paid", _money(totals["paid"])],
        ["Balance due", _money(totals["balance"])],
    ]
    story.append(_table(summary, [60 * mm, 30 * mm], money_from=1, total_row=True))

    story.append(Paragraph("Credit note", heading))
    if statement.applied:
        rows = [["Claim", "Account", "Service", "Service month", "Credit"]]
        for entry in statement.applied:
            rows.append(
                [
                    entry.claim.reference,
                    Paragraph(escape(str(entry.account)), body),
                    Paragraph(escape(str(entry.subscription.service)), body),
                    f"{entry.service_month:%B %Y}",
                    _money(entry.amount),
                ]
            )
        rows.append(["Total credit", "", "", "", _money(totals["credits"])])
        story.append(
            _table(
                rows, [24 * mm, 50 * mm, 40 * mm, 30 * mm, 30 * mm], money_from=4, total_row=True
            )
        )
    else:
        story.append(Paragraph("No credit was applied to this invoice.", body))
    for entry in statement.carried:
        story.append(
            Paragraph(
                escape(
                    f"{_money(entry.amount)} of the credit for claim {entry.claim.reference} "
                    "did not fit this invoice and is carried to the next one."
                ),
                small,
            )
        )

    if statement.payments:
        story.append(Paragraph("Payments", heading))
        rows = [["Received", "Reference", "Amount"]]
        for payment in statement.payments:
            rows.append(
                [
                    f"{payment.received_at:%Y-%m-%d}",
                    Paragraph(escape(payment.reference or "-"), body),
                    _money(payment.amount),
                ]
            )
        story.append(_table(rows, [35 * mm, 80 * mm, 30 * mm], money_from=2))

    document.build(story)
    return buffer.getvalue()

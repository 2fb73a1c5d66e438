"""The reportlab side of scripts/bench-print.sh: the same kit pages (text, boxes, QR, fiducials,
DejaVu Sans embedded) for N participants in one PDF; prints one JSON line."""
import io, json, sys, time

import reportlab
from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

n = int(sys.argv[1])
pdfmetrics.registerFont(TTFont("DejaVu", sys.argv[2]))
H = A4[1]


def y(top):
    return H - top * mm


def page(c, title, code, kind):
    for x, t in [(8, 8), (196, 8), (8, 283), (196, 283)]:
        c.rect(x * mm, y(t + 6), 6 * mm, 6 * mm, stroke=0, fill=1)
    w = QrCodeWidget(code, barLevel="M")
    b = w.getBounds()
    d = Drawing(24 * mm, 24 * mm, transform=[24 * mm / (b[2] - b[0]), 0, 0, 24 * mm / (b[3] - b[1]), 0, 0])
    d.add(w)
    renderPDF.draw(d, c, 168 * mm, y(40))
    c.setFont("DejaVu", 14)
    c.drawString(18 * mm, y(22), title)
    c.setFont("DejaVu", 9)
    c.drawString(18 * mm, y(29), "ЕГЭ · Математика (профильный уровень) · 2027.05.27 · ППЭ 0101 МАОУ СОШ 30")
    for i, (label, value) in enumerate([("Код ППЭ", "0101"), ("Аудитория", "101"), ("Место", "1А"), ("Дата", "2027.05.27")]):
        c.setFont("DejaVu", 7)
        c.drawString((18 + 34 * i) * mm, y(36), label)
        c.rect((18 + 34 * i) * mm, y(45), 30 * mm, 7.5 * mm)
        c.setFont("DejaVu", 10)
        c.drawString((19.5 + 34 * i) * mm, y(42.8), value)
    if kind == "R":
        for r, (label, value) in enumerate([("Фамилия", "СОРОКИНА"), ("Имя", "МАРИЯ"), ("Отчество", "РОМАНОВНА")]):
            c.setFont("DejaVu", 7)
            c.drawString(18 * mm, y(58 + 12 * r), label)
            for i in range(30):
                c.rect((18 + 5.5 * i) * mm, y(58 + 12 * r + 8), 5 * mm, 6.5 * mm)
                if i < len(value):
                    c.setFont("DejaVu", 10)
                    c.drawString((19.2 + 5.5 * i) * mm, y(58 + 12 * r + 6.5), value[i])
        c.rect(18 * mm, y(120), 70 * mm, 18 * mm)
    elif kind == "A1":
        for r in range(28):
            c.setFont("DejaVu", 8)
            c.drawRightString(26 * mm, y(62 + 6.6 * r + 4.6), str(r + 1))
            for i in range(24):
                c.rect((28 + 5.5 * i) * mm, y(62 + 6.6 * r + 5.8), 5 * mm, 5.8 * mm)
    else:
        c.rect(18 * mm, y(268), 174 * mm, 207 * mm)
        t = 69
        while t < 266:
            c.line(20 * mm, y(t), 190 * mm, y(t))
            t += 8
    c.showPage()


start = time.perf_counter()
buf = io.BytesIO()
c = canvas.Canvas(buf, pagesize=A4)
pages = 0
for p in range(n):
    for k, kind in enumerate(["R", "A1", "A2", "A2"]):
        page(c, "Бланк", f"PPE1.ege-02.0101.{kind}.{p * 4 + k:07d}.0.0123456789abcdef", kind)
        pages += 1
c.save()
seconds = time.perf_counter() - start
print(json.dumps({"participants": n, "pages": pages, "seconds": round(seconds, 4), "pages_per_second": round(pages / seconds, 1), "bytes": len(buf.getvalue()), "version": reportlab.Version}))

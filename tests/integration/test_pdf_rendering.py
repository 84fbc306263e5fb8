"""A report page with Chinese text and inline SVG charts prints through WeasyPrint, and page 1 of the PDF,
rasterised with PDFium, shows what it should: ink on the page, the actual line's blue and the target band
inside the chart boxes (and nowhere else), and Chinese glyphs (not empty boxes) in the title.

Needs a CJK font (`make system-deps` installs fonts-wqy-microhei) and pypdfium2 (a dev dependency)."""

from __future__ import annotations

import shutil
import subprocess
from decimal import Decimal as D

import pypdfium2 as pdfium  # noqa: E402 - a dev dependency: rasterises the PDF
import pytest

from gzgov.web import svg

SCALE = 2  # pixels per PDF point: 144 dpi
PX_PER_MM = 72 / 25.4 * SCALE
TITLE = "广州市国民经济和社会发展规划纲要实施评估"
TITLE_PT = 20
TITLE_TOP, LEFT = 15, 20  # mm
CHART_TOPS = (35, 110)  # mm
CHART_W_MM, CHART_H_MM = svg.CHART_W * 25.4 / 96, svg.CHART_H * 25.4 / 96  # the SVG's px at 96 per inch
LABELS = {"baseline": "基期值", "expected": "预期路径", "actual": "实际值", "target": "目标值"}


def _cjk_font_installed() -> bool:
    if not shutil.which("fc-list"):
        return False
    out = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, check=False).stdout
    return bool(out.strip())


@pytest.fixture(autouse=True)
def _cjk_font():
    """Without a CJK font the PDFs print boxes: fail loudly rather than skip (the Makefile installs one)."""
    assert _cjk_font_installed(), "no CJK font: `make system-deps` installs fonts-wqy-microhei"


def _html() -> str:
    forest = svg.trajectory_chart(
        "森林覆盖率", list(range(2020, 2026)), (2020, D("41.6")), (2025, D("42"), D("45")),
        {y: D("41.6") + D("0.08") * (y - 2020) for y in range(2021, 2026)},
        {2021: D("41.7"), 2022: D("41.9"), 2023: D("42.0"), 2024: D("42.3")}, "%", LABELS)
    gdp = svg.trajectory_chart(
        "地区生产总值", list(range(2020, 2026)), (2020, D("25019")), (2025, D("36000"), None), {},
        {2021: D("28232"), 2022: D("28839"), 2024: D("31033")}, "亿元", LABELS)
    charts = "".join(f'<div class="chart" style="top: {top}mm">{c}</div>' for top, c in zip(CHART_TOPS, (forest, gdp), strict=True))
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><style>
  @page {{ size: A4; margin: 0 }}
  body {{ margin: 0; font-family: "Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif; }}
  h1 {{ position: absolute; left: {LEFT}mm; top: {TITLE_TOP}mm; margin: 0; font-size: {TITLE_PT}pt;
        font-weight: normal; line-height: 1; white-space: nowrap; }}
  .chart {{ position: absolute; left: {LEFT}mm; }}
  .chart svg {{ display: block; }}
  p {{ position: absolute; left: {LEFT}mm; top: 190mm; width: 170mm; font-size: 10.5pt; }}
</style></head><body>
<h1>{TITLE}</h1>
{charts}
<p>本页用于检验打印版评估报告：图表在服务器端绘制为 SVG，由 WeasyPrint 直接排入 PDF。</p>
</body></html>"""


@pytest.fixture(scope="module")
def page():
    from PIL import Image
    from weasyprint import HTML

    pdf = HTML(string=_html()).write_pdf()
    doc = pdfium.PdfDocument(pdf)
    assert len(doc) == 1
    text = doc[0].get_textpage().get_text_range()
    image = doc[0].render(scale=SCALE).to_pil().convert("RGB")
    assert isinstance(image, Image.Image)
    doc.close()
    return image, text


def _box(left_mm: float, top_mm: float, width_mm: float, height_mm: float) -> tuple[int, int, int, int]:
    return (round(left_mm * PX_PER_MM), round(top_mm * PX_PER_MM),
            round((left_mm + width_mm) * PX_PER_MM), round((top_mm + height_mm) * PX_PER_MM))


def _chart_boxes() -> list[tuple[int, int, int, int]]:
    return [_box(LEFT, top, CHART_W_MM, CHART_H_MM) for top in CHART_TOPS]


def _hex(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))


def _near(colour: tuple[int, int, int], tolerance: int = 40):
    return lambda p: sum(abs(a - b) for a, b in zip(p, colour, strict=True)) <= tolerance


def _pixels(image) -> list[tuple[int, int, int]]:
    data = image.tobytes()
    return [tuple(data[i:i + 3]) for i in range(0, len(data), 3)]


def _count(image, box, test) -> int:
    return sum(1 for p in _pixels(image.crop(box)) if test(p))


def _inside(x: int, y: int, boxes) -> bool:
    return any(x0 <= x < x1 and y0 <= y < y1 for x0, y0, x1, y1 in boxes)


def _dark(p) -> bool:
    return sum(p) < 3 * 110


def test_the_page_is_not_blank(page):
    image, _ = page
    assert image.size == (round(595.28 * SCALE), round(841.89 * SCALE))
    inked = sum(1 for p in _pixels(image) if sum(p) < 3 * 240)
    assert inked > 0.01 * image.width * image.height
    assert image.getpixel((5, 5)) == (255, 255, 255)  # the margin stays white


def test_the_actual_line_is_drawn_in_colour_inside_each_chart(page):
    image, _ = page
    blue = _near(_hex(svg.ACTUAL_COLOUR))
    for box in _chart_boxes():
        assert _count(image, box, blue) > 300, box  # a 2.5-unit line over three or more years, plus dots
        assert _count(image, box, lambda p: max(p) - min(p) > 100) > 300  # coloured, not grey
    # and nowhere outside the charts
    boxes = _chart_boxes()
    stray = [(x, y) for y in range(0, image.height, 2) for x in range(0, image.width, 2)
             if blue(image.getpixel((x, y))) and not _inside(x, y, boxes)]
    assert not stray


def test_the_range_target_band_is_translucent_and_the_single_target_solid(page):
    image, _ = page
    orange = _hex(svg.TARGET_COLOUR)
    band = tuple(round(255 * 0.75 + c * 0.25) for c in orange)  # fill-opacity 0.25 over white
    forest, gdp = _chart_boxes()
    assert _count(image, forest, _near(band, 24)) > 1000
    assert _count(image, gdp, _near(band, 24)) < 50
    assert _count(image, gdp, _near(orange)) > 40  # the diamond


def test_chinese_text_renders_as_glyphs(page):
    image, text = page
    em = TITLE_PT * SCALE  # one CJK character is one em wide
    x0, y0 = round(LEFT * PX_PER_MM), round(TITLE_TOP * PX_PER_MM)
    # full-width glyphs: the title's ink spans its characters at one em each (missing-glyph boxes are narrower)
    strip = image.crop((x0 - em, y0 - em // 4, image.width, y0 + em + em // 4))
    columns = [x for x in range(strip.width) if any(_dark(strip.getpixel((x, y))) for y in range(0, strip.height, 2))]
    assert columns and columns[-1] - columns[0] >= (len(TITLE) - 1) * em, (columns[:1], columns[-1:])
    cells = [image.crop((x0 + i * em, y0 - em // 4, x0 + (i + 1) * em, y0 + em + em // 4)) for i in range(6)]
    inks = [sum(1 for p in _pixels(c) if _dark(p)) for c in cells]
    assert all(n > 0.08 * em * em for n in inks), inks  # every character has ink
    # 广 州 市 国 民 经: different characters draw different pixels (missing glyphs draw identical boxes)
    shapes = {bytes(1 if _dark(p) else 0 for p in _pixels(c)) for c in cells}
    assert len(shapes) == len(cells)
    # the charts' own Chinese (titles, legends) is there too, and the PDF's text layer reads back
    assert TITLE in text.replace("\r", "").replace("\n", "")
    for word in ("森林覆盖率", "地区生产总值", "实际值", "目标值"):
        assert word in text
    for box in _chart_boxes():
        title_strip = (box[0], box[1], box[2], box[1] + round(8 * PX_PER_MM))
        assert _count(image, title_strip, _dark) > 100

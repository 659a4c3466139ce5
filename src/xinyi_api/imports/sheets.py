"""Writing spreadsheets: the downloadable templates and row-level reports, as CSV or XLSX.

Every cell written from data someone typed is **neutralised against formula injection**
(CSV/formula injection, OWASP): a value starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return (or their full-width forms) gets a leading apostrophe, so a spreadsheet shows it
as text instead of running it; XLSX cells are also written with the string type explicitly.
CSV is UTF-8 with a BOM, so Excel on Chinese Windows opens it without garbling.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from xinyi_api.imports.layouts import Layout

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MEDIA_TYPE = "text/csv"  # Litestar adds "; charset=utf-8" to text/* types


def neutralise(value: object) -> str:
    """``value`` as text a spreadsheet will not evaluate."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def to_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in header])
    for row in rows:
        writer.writerow([neutralise(v) for v in row])
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")


def to_xlsx(sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[object]]]]) -> bytes:
    """A workbook of ``(title, header, rows)`` sheets, every cell a neutralised string."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    bold = Font(bold=True)
    for title, header, rows in sheets:
        sheet = book.create_sheet(title)
        cells = []
        for h in header:
            cell = WriteOnlyCell(sheet, value=neutralise(h))
            cell.data_type = "s"
            cell.font = bold
            cells.append(cell)
        sheet.append(cells)
        for row in rows:
            line = []
            for v in row:
                cell = WriteOnlyCell(sheet, value=neutralise(v))
                cell.data_type = "s"
                line.append(cell)
            sheet.append(line)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _guide(layout: Layout) -> list[list[str]]:
    return [[c.zh, c.key, "是" if c.required else "否",
             "(不保存)" if c.kind == "ignored" else c.description]
            for c in layout.columns]


def template_csv(layout: Layout) -> bytes:
    """The layout's header row (UTF-8 with BOM)."""
    return to_csv(layout.headers, [])


def template_xlsx(layout: Layout) -> bytes:
    """The header row on the first sheet (where rows go), the columns explained on the second."""
    return to_xlsx([(layout.title_zh, layout.headers, []),
                    ("说明", ["列名", "English key", "必填", "说明"], _guide(layout))])


REPORT_HEADER = ["行号 row", "列 column", "问题代码 code", "问题 problem", "原值 value"]


def report_rows(problems: Iterable[Sequence[object]]) -> Iterable[Sequence[object]]:
    return ([p[0], p[1], p[2], p[3], p[4]] for p in problems)

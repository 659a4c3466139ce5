"""Reading an import file as rows, streaming: CSV (UTF-8 with or without BOM, or GB18030/GBK,
detected) and XLSX (openpyxl in read-only mode, after checks against zip bombs).

Memory stays flat whatever the file's size: CSV is decoded incrementally and parsed line by
line; XLSX is opened read-only (rows are parsed from the sheet's XML as they are asked for) and
only after its zip directory has been checked — entry sizes, compression ratios, the number of
entries — so a small file that inflates to gigabytes is refused before anything is inflated.
``FileProblem`` says what is wrong with the file as a whole, in Chinese, with a stable ``code``.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal

FileFormat = Literal["csv", "xlsx"]

MAX_COLUMNS = 200
"""Columns a file may have (the widest layout has 35)."""
MAX_XLSX_ENTRIES = 10_000
MAX_XLSX_RATIO = 100
"""Largest compression ratio of one XLSX entry (a zip bomb inflates by thousands)."""
MAX_XLSX_UNCOMPRESSED = 2 * 1024**3
"""Largest sum of the uncompressed sizes of an XLSX's entries."""
SNIFF_BYTES = 64 * 1024
CSV_FIELD_LIMIT = 1_000_000


class FileProblem(ValueError):
    """The file as a whole cannot be read; ``code`` is the problem slug's tail."""

    def __init__(self, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.extra = extra


def sniff_format(head: bytes, name: str | None = None) -> FileFormat:
    """``xlsx`` for a zip (every XLSX is one), ``csv`` for text; old binary Excel is refused."""
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileProblem("unsupported-file", "不支持旧版 Excel(.xls)文件,请另存为 .xlsx 或 CSV")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileProblem("unsupported-file", "不支持 UTF-16 文本,请另存为 UTF-8 或 GBK 编码的 CSV")
    if b"\x00" in head[:4096]:
        raise FileProblem("unsupported-file", "文件不是 CSV 文本或 XLSX 工作簿")
    return "csv"


def detect_encoding(head: bytes) -> str:
    """``utf-8-sig`` (BOM), ``utf-8`` (decodes), else ``gb18030`` (a superset of GBK and GB2312,
    what Excel on Chinese Windows writes)."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        codecs.getincrementaldecoder("gb18030")().decode(head, final=False)
        return "gb18030"
    except UnicodeDecodeError:
        raise FileProblem("bad-encoding", "无法识别文件编码:请保存为 UTF-8 或 GBK(GB18030)"
                                          "编码的 CSV") from None


@dataclass(slots=True)
class Table:
    """An opened file: its header row and an iterator over the data rows (1-based row numbers
    as a spreadsheet shows them: the header is row 1)."""

    format: FileFormat
    encoding: str | None
    headers: list[str]
    rows: Iterator[tuple[int, list[Any]]]
    position: Any
    """``() -> int``: bytes of the file consumed so far (for progress)."""
    close: Any


def open_table(path: Path, *, max_rows: int) -> Table:
    """Open ``path`` (CSV or XLSX) and read its header row; ``FileProblem`` when it cannot be
    read, is empty, or is too large."""
    with path.open("rb") as probe:
        head = probe.read(SNIFF_BYTES)
    if not head.strip():
        raise FileProblem("empty-file", "文件为空")
    kind = sniff_format(head, path.name)
    if kind == "xlsx":
        return _open_xlsx(path, max_rows=max_rows)
    return _open_csv(path, head, max_rows=max_rows)


def _open_csv(path: Path, head: bytes, *, max_rows: int) -> Table:
    encoding = detect_encoding(head)
    raw = path.open("rb")
    stream = io.TextIOWrapper(raw, encoding=encoding, newline="", errors="strict")
    first_line = head.decode(encoding if encoding != "utf-8-sig" else "utf-8", errors="ignore")
    first_line = first_line.split("\n", 1)[0]
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    csv.field_size_limit(CSV_FIELD_LIMIT)
    reader = csv.reader(stream, delimiter=delimiter)

    def rows() -> Iterator[list[str]]:
        try:
            yield from reader
        except UnicodeDecodeError:
            raise FileProblem("bad-encoding", f"第 {reader.line_num + 1} 行附近的字节不是 "
                              f"{_encoding_name(encoding)} 编码:整个文件应使用同一种编码") from None
        except csv.Error as exc:
            raise FileProblem("malformed-file", f"第 {reader.line_num} 行无法解析为 CSV:{exc}"
                              ) from None

    lines = rows()
    headers = next(lines, None)
    if headers is None:
        raw.close()
        raise FileProblem("empty-file", "文件为空")
    if len(headers) > MAX_COLUMNS:
        raw.close()
        raise FileProblem("too-many-columns", f"文件有 {len(headers)} 列,最多 {MAX_COLUMNS} 列")

    def data() -> Iterator[tuple[int, list[Any]]]:
        count = 0
        for cells in lines:
            if not any(cell.strip() for cell in cells):
                continue
            count += 1
            if count > max_rows:
                raise FileProblem("too-many-rows", f"文件超过 {max_rows} 行数据"
                                  "(XINYI_IMPORT_MAX_ROWS)", limit=max_rows)
            if len(cells) > MAX_COLUMNS:
                raise FileProblem("too-many-columns", f"第 {reader.line_num} 行有 {len(cells)} "
                                  f"列,最多 {MAX_COLUMNS} 列")
            yield reader.line_num, cells

    return Table("csv", encoding, [h.strip() for h in headers], data(), raw.tell, raw.close)


def _encoding_name(encoding: str) -> str:
    return {"utf-8-sig": "UTF-8", "utf-8": "UTF-8", "gb18030": "GBK/GB18030"}[encoding]


def check_xlsx(path: Path) -> None:
    """Refuse an XLSX whose zip directory announces a bomb: too many entries, an entry that
    inflates more than ``MAX_XLSX_RATIO`` times, or more than ``MAX_XLSX_UNCOMPRESSED`` in all.
    Only the directory is read; nothing is inflated."""
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise FileProblem("malformed-file", f"不是有效的 XLSX 文件({exc})") from None
    if len(entries) > MAX_XLSX_ENTRIES:
        raise FileProblem("xlsx-bomb", f"XLSX 文件含 {len(entries)} 个部件,超过上限,已拒绝")
    total = 0
    for entry in entries:
        total += entry.file_size
        ratio = entry.file_size / max(entry.compress_size, 1)
        if entry.file_size > 1024 * 1024 and ratio > MAX_XLSX_RATIO:
            raise FileProblem("xlsx-bomb", f"XLSX 部件 {entry.filename} 压缩比 {ratio:.0f}:1,"
                              f"超过 {MAX_XLSX_RATIO}:1,疑似压缩炸弹,已拒绝")
    if total > MAX_XLSX_UNCOMPRESSED:
        raise FileProblem("xlsx-bomb", f"XLSX 解压后共 {total} 字节,超过上限,已拒绝")
    names = {e.filename for e in entries}
    if "xl/workbook.xml" not in names:
        raise FileProblem("malformed-file", "不是有效的 XLSX 文件(缺少 xl/workbook.xml)")


def _open_xlsx(path: Path, *, max_rows: int) -> Table:
    check_xlsx(path)
    import warnings

    import openpyxl

    raw: IO[bytes] = path.open("rb")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles it does not know
            book = openpyxl.load_workbook(raw, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a damaged workbook
        raw.close()
        raise FileProblem("malformed-file", f"无法读取 XLSX 工作簿({type(exc).__name__})") from None
    if not book.worksheets:
        book.close()
        raw.close()
        raise FileProblem("empty-file", "工作簿中没有工作表")
    sheet = book.worksheets[0]
    declared_rows = sheet.max_row or 0
    declared_columns = sheet.max_column or 0
    if declared_columns > MAX_COLUMNS:
        book.close()
        raw.close()
        raise FileProblem("too-many-columns",
                          f"工作表有 {declared_columns} 列,最多 {MAX_COLUMNS} 列")
    if declared_rows - 1 > max_rows:
        book.close()
        raw.close()
        raise FileProblem("too-many-rows", f"工作表有 {declared_rows - 1} 行数据,最多 {max_rows} 行"
                          "(XINYI_IMPORT_MAX_ROWS)", limit=max_rows)

    def cells() -> Iterator[tuple[int, list[Any]]]:
        try:
            for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
                if len(row) > MAX_COLUMNS:
                    raise FileProblem("too-many-columns",
                                      f"第 {number} 行有 {len(row)} 列,最多 {MAX_COLUMNS} 列")
                yield number, list(row)
        except FileProblem:
            raise
        except Exception as exc:
            raise FileProblem("malformed-file", f"XLSX 工作表无法读取({type(exc).__name__})"
                              ) from None

    iterator = cells()
    header_row = next(iterator, None)
    if header_row is None:
        book.close()
        raw.close()
        raise FileProblem("empty-file", "工作表为空")
    headers = [("" if h is None else str(h)).strip() for h in header_row[1]]
    while headers and not headers[-1]:
        headers.pop()

    def data() -> Iterator[tuple[int, list[Any]]]:
        count = 0
        for number, row in iterator:
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in row):
                continue
            count += 1
            if count > max_rows:
                raise FileProblem("too-many-rows", f"工作表超过 {max_rows} 行数据"
                                  "(XINYI_IMPORT_MAX_ROWS)", limit=max_rows)
            yield number, row

    def close() -> None:
        book.close()
        raw.close()

    return Table("xlsx", None, headers, data(), raw.tell, close)

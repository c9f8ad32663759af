"""The one reader every import uses (relief/tabular/reading.py) holds its limits whatever the
file claims: every row counts, blank ones too; an XLSX may unpack only so far; a CSV line is
bounded; NUL is refused; a CSV is UTF-8, or GB18030 only when it reads as Chinese."""

import io
import random
import time
import tracemalloc
import zipfile
from dataclasses import dataclass

import openpyxl
import pytest

from relief import tabular
from relief.tabular import reading

# A decompression bomb is refused within this memory (the old reader took 95 s and 1.85 GB on a
# 176 KB workbook of 20,000,000 empty rows). Time is printed, not asserted: bench/tabular.py
# measures it.
BOMB_BYTES = 200 * 1024 * 1024

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG_REL}">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{REL}">'
        '<sheets><sheet name="s" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG_REL}">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
    ),
}


def header_row(*names: str) -> str:
    cells = "".join(
        f'<c r="{chr(65 + i)}1" t="inlineStr"><is><t>{name}</t></is></c>'
        for i, name in enumerate(names)
    )
    return f'<row r="1">{cells}</row>'


def crafted_xlsx(
    *,
    rows: int = 0,
    row_xml: bytes = b"<row/>",
    dimension: str = "",
    first: str = "",
    last: str = "",
) -> bytes:
    """A workbook whose sheet XML is written by hand and deflated: `first`, then `rows` copies
    of `row_xml`, then `last`. A repeated row compresses about a thousandfold, so 20,000,000
    empty rows make a file of a few hundred KB."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in PARTS.items():
            archive.writestr(name, content)
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            dim = f'<dimension ref="{dimension}"/>' if dimension else ""
            sheet.write(
                f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}">{dim}'
                f"<sheetData>{first}".encode()
            )
            block = row_xml * 100_000
            for _ in range(rows // 100_000):
                sheet.write(block)
            sheet.write(row_xml * (rows % 100_000))
            sheet.write(f"{last}</sheetData></worksheet>".encode())
    return out.getvalue()


def twenty_million_empty_rows(*names: str, dimension: str = "A1:H20000001") -> bytes:
    """The attack: a header, then 20,000,000 empty rows, and a dimension claiming them."""
    return crafted_xlsx(rows=20_000_000, dimension=dimension, first=header_row(*(names or ("a",))))


@dataclass
class Cost:
    seconds: float
    peak: int


def cost_of(call) -> tuple[Cost, Exception | None]:
    """CPU time (`time.process_time()`) and peak Python memory (`tracemalloc`) of `call()`, each
    in a run of its own (tracing memory slows Python down several times); and what it raised."""
    started = time.process_time()
    try:
        call()
    except Exception as exc:
        raised = exc
    else:
        raised = None
    seconds = time.process_time() - started
    tracemalloc.start()
    try:
        call()
    except Exception:
        pass
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return Cost(seconds, peak), raised


def read(content: bytes, **kwargs) -> tabular.Table:
    return tabular.read_table(io.BytesIO(content), **kwargs)


def test_the_bomb_is_small():
    assert len(twenty_million_empty_rows()) < 400 * 1024


def refused(call, rule: str) -> Cost:
    """The cost of `call`, which must raise TabularError naming `rule`."""
    cost, raised = cost_of(call)
    assert isinstance(raised, tabular.TabularError), raised
    assert rule in str(raised), str(raised)
    return cost


@pytest.fixture
def archive_checks_lifted(monkeypatch):
    """The zip-level checks (ratio, flat cap) out of the way, so that what stands behind them,
    the row count, is shown to hold on its own."""
    monkeypatch.setattr(reading, "XLSX_MAX_RATIO", 10**9)
    monkeypatch.setattr(reading, "XLSX_MAX_UNPACKED_BYTES", 1 << 40)


# openpyxl reads a sheet without a <dimension> to its end looking for one (reading.py).
@pytest.mark.parametrize("dimension", ["A1:H20000001", ""])
def test_twenty_million_empty_rows_are_refused_within_megabytes(dimension):
    bomb = twenty_million_empty_rows(dimension=dimension)

    cost = refused(lambda: read(bomb), "more than 100 times its compressed size")

    print(f"20,000,000-row bomb refused in {cost.seconds:.3f} s CPU, {cost.peak >> 20} MB")
    assert cost.peak < BOMB_BYTES


@pytest.mark.parametrize("dimension", ["A1:H20000001", ""])
def test_behind_the_archive_checks_every_row_read_counts(archive_checks_lifted, dimension):
    bomb = twenty_million_empty_rows(dimension=dimension)

    cost = refused(
        lambda: read(bomb), "more than 100000 rows after the header row (blank rows count too)"
    )

    print(f"row limit reached in {cost.seconds:.3f} s CPU, {cost.peak >> 20} MB")
    assert cost.peak < BOMB_BYTES


def test_a_dimension_claiming_millions_of_rows_costs_only_the_rows_there():
    bomb = crafted_xlsx(dimension="A1:A20000000", first=header_row("a") + '<row r="2"/>')

    cost = refused(lambda: read(bomb), "no data rows")

    print(f"refused in {cost.seconds:.3f} s CPU")
    assert cost.peak < 10 * 1024 * 1024


def test_rows_far_down_count_as_the_rows_before_them(archive_checks_lifted):
    # One cell on row 20,000,000: every row above it is read as an empty row.
    bomb = crafted_xlsx(first=header_row("a"), last='<row r="20000000"><c r="A20000000"/></row>')

    cost = refused(lambda: read(bomb), "blank rows count too")

    print(f"refused in {cost.seconds:.3f} s CPU, {cost.peak >> 20} MB")
    assert cost.peak < BOMB_BYTES


def test_a_workbook_unpacking_beyond_the_limits_is_refused_before_it_is_unpacked():
    # 10,000,000 numbered empty rows: about 300 MB of XML in a small file.
    numbered = b'<row r="9999999" spans="1:1"/>'
    bomb = crafted_xlsx(rows=10_000_000, row_xml=numbered, first=header_row("a"))
    assert len(bomb) < 1024 * 1024

    cost = refused(lambda: read(bomb), "more than 100 times its compressed size")

    print(f"refused in {cost.seconds:.3f} s CPU")
    assert cost.peak < 10 * 1024 * 1024


def test_the_unpacked_size_limit_may_be_lowered_by_the_caller():
    workbook = crafted_xlsx(
        rows=3000,
        row_xml=b'<row><c t="inlineStr"><is><t>x</t></is></c></row>',
        first=header_row("a"),
    )

    assert len(read(workbook, max_rows=10_000).rows) == 3000
    with pytest.raises(tabular.TabularError, match="unpacks to more than"):
        list(tabular.iter_rows(workbook, max_rows=10, max_xlsx_bytes=50_000))


def test_a_part_larger_than_it_declares_is_not_unpacked_beyond_its_declared_size():
    """The declared sizes are checked; zipfile then unpacks no more than a part declares."""
    bomb = bytearray(crafted_xlsx(rows=2_000_000, first=header_row("a")))
    name = b"xl/worksheets/sheet1.xml"
    central = bomb.rindex(name) - 46  # the part's central directory entry
    assert bomb[central : central + 4] == b"PK\x01\x02"
    bomb[central + 24 : central + 28] = (1000).to_bytes(4, "little")  # declares 1,000 bytes

    print(f"refused in {refused(lambda: read(bytes(bomb)), 'not a readable XLSX').seconds} s CPU")


def test_a_workbook_of_many_parts_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in PARTS.items():
            archive.writestr(name, content)
        for n in range(reading.MAX_XLSX_PARTS):
            archive.writestr(f"junk/{n}.xml", "")

    with pytest.raises(tabular.TabularError, match="more than 1000 parts"):
        read(out.getvalue())


def test_blank_rows_count_against_the_row_limit_in_csv_too():
    content = b"a,b\r\n" + b",\r\n" * 5 + b"x,y\r\n"

    assert [n for n, _ in read(content, max_rows=6).rows] == [7]
    with pytest.raises(tabular.TabularError, match="more than 5 rows after the header row"):
        read(content, max_rows=5)


def test_a_csv_of_endless_empty_lines_is_refused_without_holding_them():
    content = b"a,b\n" + b"\n" * 20_000_000

    cost = refused(lambda: read(content), "blank rows count too")

    print(f"refused in {cost.seconds:.3f} s CPU, {cost.peak >> 20} MB")
    assert cost.peak < BOMB_BYTES


def test_an_endless_csv_line_is_refused():
    content = b"a,b\n" + b"," * 5_000_000 + b"\n"

    cost = refused(lambda: read(content), "Line 2 is longer than 1048576 characters")

    assert cost.peak < 50 * 1024 * 1024


def test_only_the_columns_allowed_are_read():
    wide = b"a\r\nv" + b"," * 5000 + b"x\r\n"
    far = crafted_xlsx(
        first=header_row("a") + '<row r="2"><c r="A2"><v>1</v></c><c r="ZZ2"><v>2</v></c></row>'
    )

    assert read(wide).rows == [(2, ["v"])]
    assert read(far).rows == [(2, [1])]
    assert [len(cells) for _n, cells in tabular.iter_rows(wide)] == [1, tabular.MAX_COLUMNS]


def test_a_sheet_claiming_every_column_is_read_as_wide_as_allowed():
    wide = crafted_xlsx(
        rows=20_000,
        row_xml=b'<row><c t="inlineStr"><is><t>v</t></is></c></row>',
        dimension="A1:XFD20001",
        first=header_row("a"),
    )

    cost, _raised = cost_of(lambda: read(wide))

    assert read(wide).rows[-1] == (20_001, ["v"])
    assert {len(cells) for _n, cells in tabular.iter_rows(wide)} == {tabular.MAX_COLUMNS}
    assert cost.peak < 50 * 1024 * 1024


def test_a_csv_with_a_nul_is_refused_naming_the_line():
    with pytest.raises(tabular.TabularError, match="Line 3 contains a NUL character"):
        read(b"a,b\r\nx,y\r\nx\x00,y\r\n")


@pytest.mark.parametrize("value", ["张\x00三", "\x1b[31m", "a\x7fb\x08"])
def test_the_text_parser_refuses_control_characters(value):
    with pytest.raises(ValueError, match="control character"):
        tabular.text()(value)


def test_the_text_parser_keeps_tabs_and_line_breaks():
    assert tabular.text()("茶山镇\n南社村\t1号") == "茶山镇\n南社村\t1号"


# Encodings -------------------------------------------------------------------------------------

CHINESE_ROWS = "household_ref,name,address\r\nH1,陈大文,东莞市茶山镇南社村（一组）1号\r\n"


def test_utf8_with_and_without_bom_is_read():
    for content in (CHINESE_ROWS.encode("utf-8-sig"), CHINESE_ROWS.encode("utf-8")):
        assert read(content).rows == [(2, ["H1", "陈大文", "东莞市茶山镇南社村（一组）1号"])]


def test_genuine_gb18030_is_read():
    content = (CHINESE_ROWS + "H2,欧阳堃,东莞市虎门镇\r\n").encode("gb18030")

    assert [row[1][1] for row in read(content).rows] == ["陈大文", "欧阳堃"]


def test_a_latin1_file_is_refused_naming_the_rule():
    content = "household_ref,name\r\nH1,José Müller\r\n".encode("latin-1")

    with pytest.raises(tabular.TabularError) as refused:
        read(content)

    assert "save it as UTF-8 CSV" in str(refused.value)


def test_a_latin1_file_that_happens_to_decode_as_gb18030_is_refused_not_read_as_nonsense():
    content = "household_ref,name\r\nH1,Renée Lefèvre\r\nH2,Jürgen Müller\r\n".encode("latin-1")
    assert content.decode("gb18030")  # valid GB18030 bytes: 'Ren閑 Lef鑦re', 'J黵gen M黮ler'

    with pytest.raises(tabular.TabularError, match="save it as UTF-8 CSV"):
        read(content)


def test_big5_traditional_chinese_is_refused():
    content = "household_ref,name\r\nH1,張偉強\r\nH2,陳麗華\r\n".encode("big5")

    with pytest.raises(tabular.TabularError, match="save it as UTF-8 CSV"):
        read(content)


def test_an_xlsx_written_by_openpyxl_without_dimensions_still_reads_its_rows():
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("s")
    sheet.append(["a", "b"])
    sheet.append(["x", None])
    out = io.BytesIO()
    workbook.save(out)

    assert read(out.getvalue()).rows == [(2, ["x", None])]


# Compression ratio, a flat unpacked cap and bounded columns -----------------------------------


def test_a_workbook_unpacking_to_more_than_100_times_its_size_is_refused():
    # 50,000 identical rows: 4 MB of XML, within every other limit, in a file of a few KB.
    row = b'<row><c t="inlineStr"><is><t>' + b"x" * 60 + b"</t></is></c></row>"
    bomb = crafted_xlsx(rows=50_000, row_xml=row, first=header_row("a"))

    cost = refused(lambda: read(bomb), "more than 100 times its compressed size")

    print(f"ratio bomb of {len(bomb)} bytes refused in {cost.seconds:.3f} s CPU")
    assert cost.peak < 10 * 1024 * 1024


def test_an_ordinary_workbook_is_well_within_the_ratio():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["household_ref", "name", "address", "amount"])
    for n in range(2000):
        sheet.append([f"H{n}", f"陈大文{n}", f"东莞市茶山镇南社村{n}号", 1200 + n])
    out = io.BytesIO()
    workbook.save(out)

    assert len(read(out.getvalue()).rows) == 2000


def test_a_workbook_unpacking_beyond_the_flat_cap_is_refused(monkeypatch):
    """Random text barely compresses: the ratio holds, the flat cap refuses it."""
    monkeypatch.setattr(reading, "XLSX_MAX_UNPACKED_BYTES", 1 << 20)
    rng = random.Random(7)
    first = header_row("a") + "".join(
        f'<row><c t="inlineStr"><is><t>{rng.getrandbits(256):x}</t></is></c></row>'
        for _ in range(20_000)
    )
    workbook = crafted_xlsx(first=first)

    with pytest.raises(tabular.TabularError, match="unpacks to more than 1 MB"):
        read(workbook)


def test_the_flat_cap_is_sixteen_megabytes():
    assert reading.XLSX_MAX_UNPACKED_BYTES == 16 * 1024 * 1024


def test_cells_beyond_the_column_limit_are_dropped_before_they_are_parsed(monkeypatch):
    """A very wide sheet (a 17 MB file of 16,384-column rows took 66 s) costs no more per row
    than MAX_COLUMNS cells: the cells beyond are dropped unparsed."""
    from openpyxl.worksheet._reader import WorkSheetParser

    parsed = []
    original = WorkSheetParser.parse_cell
    monkeypatch.setattr(
        WorkSheetParser, "parse_cell", lambda self, el: parsed.append(1) or original(self, el)
    )
    cells = b"<c><v>1</v></c>" * 1000
    wide = crafted_xlsx(rows=50, row_xml=b"<row>" + cells + b"</row>", first=header_row("a"))

    table = read(wide)

    assert [n for n, _ in table.rows] == list(range(2, 52))
    assert len(parsed) <= 51 * tabular.MAX_COLUMNS

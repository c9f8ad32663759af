"""Tabular files (CSV or XLSX), with no knowledge of any domain: the one reader every import
uses, the columns and parsers of a template, the report of a file's problems, and the writing
of every tabular file Relief hands out.

- `reading`: a file is read as a stream of (spreadsheet row number, cells) within limits that
  hold whatever the file claims (rows, columns, unpacked size, encoding); `read_table` keeps
  the header and every non-blank data row with its spreadsheet row number (the header is row 1,
  so the first data row is row 2; blank rows are skipped but still counted).
- `columns`: a list of `Column`s declares what each column may hold; `parse_table` turns the
  raw cells into values and collects every problem in one `ImportReport`.
- `reports`: `RowError(row, column, rule)` and `ImportReport`, so a person can fix a whole file
  in one pass.
- `writing`: cells written so that no spreadsheet program reads them as formulas, and the
  downloadable templates.

The caseload import (cases/imports/), the bank-return import (payments/returns/) and, later,
the partner-registry imports build on this.
"""

from .columns import (
    DATE_RE,
    FALSE_WORDS,
    INT_RE,
    TRUE_WORDS,
    Column,
    Row,
    boolean,
    check_header,
    choice,
    date,
    integer,
    money,
    parse_table,
    text,
)
from .reading import (
    CSV_DELIMITERS,
    MAX_COLUMNS,
    MAX_ROWS,
    OLE2_MAGIC,
    XLSX_MAGIC,
    XLSX_MAX_UNPACKED_BYTES,
    Table,
    csv_encoding,
    file_sha256,
    is_blank,
    is_blank_row,
    iter_rows,
    read_table,
)
from .reports import ImportReport, RowError, TabularError
from .writing import FORMULA_START, CsvWriter, safe_cell, safe_row, template_csv, template_xlsx

__all__ = [
    "CSV_DELIMITERS",
    "FORMULA_START",
    "CsvWriter",
    "DATE_RE",
    "FALSE_WORDS",
    "INT_RE",
    "MAX_COLUMNS",
    "MAX_ROWS",
    "OLE2_MAGIC",
    "TRUE_WORDS",
    "XLSX_MAGIC",
    "XLSX_MAX_UNPACKED_BYTES",
    "Column",
    "ImportReport",
    "Row",
    "RowError",
    "Table",
    "TabularError",
    "boolean",
    "check_header",
    "choice",
    "csv_encoding",
    "date",
    "file_sha256",
    "integer",
    "is_blank",
    "is_blank_row",
    "iter_rows",
    "money",
    "parse_table",
    "read_table",
    "safe_cell",
    "safe_row",
    "template_csv",
    "template_xlsx",
    "text",
]

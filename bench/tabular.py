#!/usr/bin/env python
"""Tabular reading benchmark: what the one reader (relief/tabular/reading.py) spends on hostile
and on large honest workbooks. Prints figures; asserts nothing about time.

    .venv/bin/python bench/tabular.py

For each file: its size, what it unpacks to, the outcome (rows read or the rule that refused
it), CPU seconds (`time.process_time`) and peak Python memory (`tracemalloc`, a run of its
own). The honest 16 MB workbook (dense cells, just under XLSX_MAX_UNPACKED_BYTES) is the most
any accepted workbook can cost; the wide one shows the cells beyond MAX_COLUMNS cost nothing.
"""

import io
import os
import random
import sys
import time
import tracemalloc
import zipfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

from relief import tabular  # noqa: E402
from tests.relief.test_tabular_limits import crafted_xlsx, header_row  # noqa: E402


def unpacked(content: bytes) -> int:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return sum(part.file_size for part in archive.infolist())


def measure(label: str, content: bytes) -> None:
    def call():
        try:
            return f"{len(tabular.read_table(io.BytesIO(content)).rows)} rows"
        except tabular.TabularError as exc:
            return f"refused: {str(exc)[:70]}"

    started = time.process_time()
    outcome = call()
    seconds = time.process_time() - started
    tracemalloc.start()
    call()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(
        f"{label:<38} {len(content) / 1e6:8.2f} MB -> {unpacked(content) / 1e6:8.1f} MB  "
        f"{seconds:7.3f} s CPU  {peak / 1e6:7.1f} MB peak  {outcome}"
    )


def dense(rows: int, columns: int) -> bytes:
    """Rows of random numbers: they compress as real data does (a few times), not a thousand."""
    rng = random.Random(1)
    body = "".join(
        "<row>"
        + "".join(f"<c><v>{rng.randrange(10**6)}</v></c>" for _ in range(columns))
        + "</row>"
        for _ in range(rows)
    )
    return crafted_xlsx(first=header_row("a") + body)


def main() -> None:
    measure(
        "20,000,000 empty rows",
        crafted_xlsx(rows=20_000_000, dimension="A1:H20000001", first=header_row("a")),
    )
    measure(
        "ratio bomb: 10,000,000 numbered rows",
        crafted_xlsx(
            rows=10_000_000, row_xml=b'<row r="9999999" spans="1:1"/>', first=header_row("a")
        ),
    )
    measure("dense, just under the flat cap", dense(rows=7_400, columns=100))
    measure("wide: 740 rows of 1,000 columns", dense(rows=740, columns=1000))
    measure("narrow: 1,000 rows of 200 columns", dense(rows=1000, columns=200))


if __name__ == "__main__":
    main()

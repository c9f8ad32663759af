"""Reports of a tabular file's problems: each broken rule as a RowError (row, column, rule),
collected in one ImportReport so that a person can fix a whole file in one pass."""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.utils.translation import gettext as _


class TabularError(ValueError):
    """The file as a whole cannot be read (not a workbook, undecodable, empty, too long)."""


@dataclass(frozen=True)
class RowError:
    """One broken rule. Row 0 means the file as a whole; an empty column means the whole row."""

    row: int
    column: str
    rule: str

    def as_text(self) -> str:
        if self.row == 0:
            return _("file: %(rule)s") % {"rule": self.rule}
        if not self.column:
            return _("row %(row)d: %(rule)s") % {"row": self.row, "rule": self.rule}
        return _("row %(row)d, column %(column)s: %(rule)s") % {
            "row": self.row,
            "column": self.column,
            "rule": self.rule,
        }

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "rule": self.rule}


@dataclass
class ImportReport:
    """Every problem found in a file, in row order. A file is accepted only when `ok`."""

    errors: list[RowError] = field(default_factory=list)

    def add(self, row: int, column: str, rule: str) -> None:
        self.errors.append(RowError(row, column, str(rule)))

    @property
    def ok(self) -> bool:
        return not self.errors

    def __len__(self) -> int:
        return len(self.errors)

    def sorted(self) -> list[RowError]:
        # Stable: errors of one row keep the order in which the checks found them.
        return sorted(self.errors, key=lambda e: e.row)

    def lines(self) -> list[str]:
        return [error.as_text() for error in self.sorted()]

    def as_text(self) -> str:
        return "\n".join(self.lines())

    def as_json(self) -> list[dict]:
        return [error.as_dict() for error in self.sorted()]

    @classmethod
    def from_json(cls, data: Iterable[dict]) -> "ImportReport":
        return cls([RowError(int(e["row"]), str(e["column"]), str(e["rule"])) for e in data])

    def bad_rows(self) -> list[int]:
        return sorted({error.row for error in self.errors})

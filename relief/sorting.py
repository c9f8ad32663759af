"""Sortable lists: `?sort=<column>` or `?sort=-<column>` picks one of a list's allowed columns
(anything else falls back to the list's default), the order is made stable by the primary key,
and the column headers link to the other orders while keeping the list's filters.

    sort = Sort.from_params(request.GET, COLUMNS, default="-id", keep=filters)
    rows = rows.order_by(*sort.order_by)
    {% sort_th sort "town" _("Town") %}      (the header, with its link and aria-sort)
"""

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db.models import F

SORT_PARAM = "sort"


@dataclass(frozen=True)
class Sort:
    """The chosen order of a list: `column` (a key of the list's columns), its direction, the
    order_by expressions, and the query string of the list's filters (without sort and page)
    that the headers' links keep."""

    column: str
    descending: bool
    columns: dict[str, tuple[str, ...]]
    default: str
    keep: str = ""
    links: dict[str, dict] = field(default_factory=dict)

    @classmethod
    def from_params(cls, params, columns: dict[str, tuple[str, ...]], *, default: str, keep=""):
        """The order `params` ask for among `columns` (column → the fields it orders by),
        or `default` ("-id": newest first) when they ask for none or for another."""
        wanted = str(params.get(SORT_PARAM, "") or "")
        if wanted.lstrip("-") not in columns:
            wanted = default
        sort = cls(wanted.lstrip("-"), wanted.startswith("-"), columns, default, keep)
        for column in columns:
            sort.links[column] = sort._link(column)
        return sort

    @property
    def param(self) -> str:
        """The ?sort= value of this order ("" for the default, so URLs stay short)."""
        value = f"-{self.column}" if self.descending else self.column
        return "" if value == self.default else value

    @property
    def order_by(self) -> list:
        """The order_by expressions: the column's fields, empty values last, then the primary
        key in the same direction, so that equal values keep one order across pages."""
        fields = [*self.columns[self.column], "pk"]
        if self.descending:
            return [F(name).desc(nulls_last=True) for name in fields]
        return [F(name).asc(nulls_last=True) for name in fields]

    @property
    def query(self) -> str:
        """The filters and this order, for pagination and exports."""
        pairs = [self.keep] if self.keep else []
        if self.param:
            pairs.append(urlencode({SORT_PARAM: self.param}))
        return "&".join(pairs)

    def _link(self, column: str) -> dict:
        """A header's link: ascending first, descending when already ascending."""
        current = column == self.column
        descending = current and not self.descending
        value = f"-{column}" if descending else column
        pairs = [self.keep] if self.keep else []
        if value != self.default:
            pairs.append(urlencode({SORT_PARAM: value}))
        state = "none"
        if current:
            state = "descending" if self.descending else "ascending"
        return {"href": "?" + "&".join(pairs), "state": state}

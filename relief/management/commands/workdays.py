"""python manage.py workdays add DATE N | workdays between A B

Working-day arithmetic from the command line, with the same calendar the clocks use
(relief/workdays.py):

    workdays add 2024-02-08 3         prints 2024-02-19: Friday 2024-02-09, Sunday 2024-02-18
                                      (a make-up working day) and Monday 2024-02-19
    workdays between 2024-02-08 2024-02-19
                                      prints 3, the working days after A up to and including B

Dates are ISO (YYYY-MM-DD). A bad argument exits non-zero with a message naming it. When the
answer depends on a year with no holiday schedule (weekdays only), the answer is still printed
and the exit status is 0, with a warning naming the year on stderr.
"""

import re
from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from relief import workdays

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_date(name: str, value: str) -> date:
    # date.fromisoformat alone also accepts 20240208 and 2024-W06-4; the brief and the help
    # promise YYYY-MM-DD only.
    try:
        if ISO_DATE.fullmatch(value):
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise CommandError(
        _("%(name)s: %(value)r is not an ISO date (YYYY-MM-DD).") % {"name": name, "value": value}
    )


def parse_count(name: str, value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise CommandError(
            _("%(name)s: %(value)r is not a whole number of working days.")
            % {"name": name, "value": value}
        ) from None
    if n < 0:
        raise CommandError(
            _("%(name)s: %(value)s is negative; give 0 or more working days.")
            % {"name": name, "value": n}
        )
    return n


class Command(BaseCommand):
    help = "Working-day arithmetic: add N working days to a date, or count those between two."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
        add = actions.add_parser("add", help="Print the date N working days after DATE.")
        add.add_argument("date", metavar="DATE", help="The start date, YYYY-MM-DD.")
        add.add_argument("n", metavar="N", help="The number of working days, 0 or more.")
        between = actions.add_parser(
            "between", help="Print the number of working days after A up to and including B."
        )
        between.add_argument("a", metavar="A", help="The start date, YYYY-MM-DD.")
        between.add_argument("b", metavar="B", help="The end date, YYYY-MM-DD, not before A.")

    def handle(self, *args, action, **options):
        if action == "add":
            start = parse_date("date", options["date"])
            n = parse_count("N", options["n"])
            end = workdays.add_working_days(start, n)
            answer = end.isoformat()
        else:
            start = parse_date("A", options["a"])
            end = parse_date("B", options["b"])
            if end < start:
                raise CommandError(_("B: %(b)s is before A (%(a)s).") % {"b": end, "a": start})
            answer = str(workdays.working_days_between(start, end))
        # The days the answer depends on are those after the start up to the end.
        if end > start:
            for year in workdays.provisional_years(start + timedelta(days=1), end):
                self.stderr.write(
                    _(
                        "warning: %(year)s has no holiday schedule; counted weekdays only (provisional)"
                    )
                    % {"year": year}
                )
        self.stdout.write(answer)

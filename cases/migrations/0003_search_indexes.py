"""Indexes for the registry search over a million households (bench/registry_search.py).

- person (name varchar_pattern_ops, id) replaces person (name varchar_pattern_ops): a name-prefix
  search reads the matching ids from the index alone.
- membership (person, household): from the matched people to their households from the index.
- household (town, id): a town's households newest first, and the town side of a scoped search.
- PostgreSQL only: a finer statistics target on person.name. With the default 100 histogram
  buckets over 2.5 M names, the planner's estimate for a two-character prefix is off by 10 to 100
  times in both directions; too high an estimate makes it scan a whole town (or every
  membership) instead of following the index, which took a search from 70 ms to 0.5-1 s.
"""

from django.db import migrations, models


def person_name_statistics(target):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(
                f"ALTER TABLE cases_person ALTER COLUMN name SET STATISTICS {target}"
            )

    return apply


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0002_towns_and_income_types'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='person',
            index=models.Index(fields=['name', 'id'], name='person_name_prefix_id', opclasses=['varchar_pattern_ops', 'int8_ops']),
        ),
        migrations.RemoveIndex(
            model_name='person',
            name='person_name_prefix',
        ),
        migrations.AddIndex(
            model_name='household',
            index=models.Index(fields=['town', 'id'], name='household_town_id'),
        ),
        migrations.AddIndex(
            model_name='membership',
            index=models.Index(fields=['person', 'household'], name='membership_person_household'),
        ),
        migrations.RunPython(person_name_statistics(1000), person_name_statistics(-1)),
    ]

"""The ledger lists entries by instant: an index on (at, id) (issue #11)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("billing", "0005_settled_and_apply_by_warnings")]

    operations = [
        migrations.AddIndex(
            model_name="creditentry",
            index=models.Index(fields=["at", "id"], name="creditentry_at_id"),
        ),
    ]

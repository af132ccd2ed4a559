"""The ledger lists entries by instant: an index on (at, id) (issue #11)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("billing", "0006_webhooks")]

    operations = [
        migrations.AddIndex(
            model_name="creditentry",
            index=models.Index(fields=["at", "id"], name="creditentry_at_id"),
        ),
    ]

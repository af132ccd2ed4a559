""""Settled" is billing's now (GrantOutcome.settled_at): billing's migration 0005 carries the
values over before this one drops the column (it says so with run_before)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("claims", "0006_award")]

    operations = [migrations.RemoveField(model_name="claim", name="credit_settled_at")]

"""The credit ledger is append-only: PostgreSQL refuses UPDATE and DELETE on its entries (a
correction is a REVERSED entry). Skipped on the embedded SQLite default."""

from django.db import migrations

FORWARD = [
    """
    CREATE FUNCTION billing_refuse_change() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END;
    $$ LANGUAGE plpgsql
    """,
    "CREATE TRIGGER billing_creditentry_append_only BEFORE UPDATE OR DELETE ON "
    "billing_creditentry FOR EACH ROW EXECUTE FUNCTION billing_refuse_change()",
]
BACKWARD = [
    "DROP TRIGGER IF EXISTS billing_creditentry_append_only ON billing_creditentry",
    "DROP FUNCTION IF EXISTS billing_refuse_change()",
]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement, params=None)

    return apply


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]

    operations = [migrations.RunPython(run(FORWARD), run(BACKWARD))]

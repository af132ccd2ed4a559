"""Settlements and decisions are append-only, like the audit trail: PostgreSQL refuses UPDATE
and DELETE on them. An edit is a new settlement; a correction is a new decision. (Skipped on
the embedded SQLite default.)"""

from django.db import migrations

TABLES = ("claims_settlement", "claims_decision")

FORWARD = [
    """
    CREATE FUNCTION claims_refuse_change() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END;
    $$ LANGUAGE plpgsql
    """,
    *(
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION claims_refuse_change()"
        for table in TABLES
    ),
]
BACKWARD = [
    *(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}" for table in TABLES),
    "DROP FUNCTION IF EXISTS claims_refuse_change()",
]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement, params=None)

    return apply


class Migration(migrations.Migration):
    dependencies = [("claims", "0003_review")]

    operations = [migrations.RunPython(run(FORWARD), run(BACKWARD))]

"""Rules PostgreSQL holds for claims. Guarded by database vendor: on the embedded SQLite default
these are skipped and the application's own checks stand alone.

- "Multiple requests are not granted for the same time period" (OnePointSync SLA): no two live
  claim lines of one subscription may have overlapping periods. An exclusion constraint makes
  two concurrent submissions unable to both pass.
- The audit trail is append-only: UPDATE and DELETE on claims_claimevent raise. (TRUNCATE,
  which needs the table owner, is left to the test suite's flush between transactional tests.)
"""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    """
    ALTER TABLE claims_claimline ADD CONSTRAINT claimline_no_overlapping_live_period
    EXCLUDE USING gist (
        subscription_id WITH =,
        tstzrange(period_start, period_end, '[)') WITH &&
    ) WHERE (live)
    """,
    """
    CREATE FUNCTION claims_refuse_audit_change() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'claims_claimevent is append-only: % refused', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER claimevent_append_only
    BEFORE UPDATE OR DELETE ON claims_claimevent
    FOR EACH ROW EXECUTE FUNCTION claims_refuse_audit_change()
    """,
]

BACKWARD = [
    "DROP TRIGGER IF EXISTS claimevent_append_only ON claims_claimevent",
    "DROP FUNCTION IF EXISTS claims_refuse_audit_change()",
    "ALTER TABLE claims_claimline DROP CONSTRAINT IF EXISTS claimline_no_overlapping_live_period",
]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement, params=None)

    return apply


class Migration(migrations.Migration):
    dependencies = [("claims", "0001_initial")]

    operations = [migrations.RunPython(run(FORWARD), run(BACKWARD))]

"""Stored proof evidence becomes `Evidence.compact()`: episodes, counts, first and last
instants and the lines that show them, instead of every probe (a 5,000-line log was ~1 MB of
JSON per row, read with every claim page)."""

from django.db import migrations

from claims.evidence import Evidence


def compact(apps, schema_editor):
    Proof = apps.get_model("claims", "Proof")
    for proof in Proof.objects.exclude(evidence=None).only("pk", "evidence").iterator(2000):
        if proof.evidence.get("compact"):
            continue
        # A row thinned on upload kept the whole file's episodes beside the thinned probes:
        # from_dict uses them, so the compact form still tells the whole file.
        proof.evidence = Evidence.from_dict(proof.evidence).compact()
        proof.save(update_fields=["evidence"])


class Migration(migrations.Migration):
    dependencies = [("claims", "0008_list_indexes")]

    operations = [migrations.RunPython(compact, migrations.RunPython.noop, elidable=True)]

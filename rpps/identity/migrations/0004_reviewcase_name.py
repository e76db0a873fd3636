from django.db import migrations, models


def name_open_cases(apps, schema_editor):
    # Cases filed before the field existed get the name the model would give them.
    ReviewCase = apps.get_model("identity", "ReviewCase")
    for case in ReviewCase.objects.select_related("person").iterator():
        if case.request:
            data = case.request["person"]
            case.name = f"{data.get('birth_name', '')} {data.get('given_names', '')}".strip()
        elif case.person_id:
            case.name = f"{case.person.birth_name} {case.person.given_names}".strip()
        case.save(update_fields=["name"])


class Migration(migrations.Migration):
    dependencies = [
        ("identity", "0003_identity_first_given_name"),
        ("registry", "0010_name_fold_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="reviewcase",
            name="name",
            field=models.CharField(blank=True, default="", max_length=300, verbose_name="nom et prénoms"),
        ),
        migrations.RunPython(name_open_cases, migrations.RunPython.noop),
    ]

"""media_newest: the staff lists of media files (newest first) walk it and stop after the
page, whatever the scope (an institution high in the tree has as many files as the library)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("media", "0001_initial"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="mediaasset",
            index=models.Index(fields=["-created_at", "id"], name="media_newest"),
        ),
    ]

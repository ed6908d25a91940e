"""res_pub_year covers the other filters and the facets' columns (decision 0018): a `year=`
list combined with broad filters is counted and sampled in an index-only scan."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("resources", "0003_public_list_indexes"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="resource",
            name="res_pub_year",
        ),
        migrations.AddIndex(
            model_name="resource",
            index=models.Index(
                condition=models.Q(("status", "published")),
                fields=["-year", "-published_at", "-id"],
                include=("category", "kind", "ich_category", "audience", "institution", "region"),
                name="res_pub_year",
            ),
        ),
    ]

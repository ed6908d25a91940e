"""Indexes of the public directory (culturecloud/institutions/directory.py).

- `inst_public_order`: active rows in the directory's order (depth, name, id), covering
  short_name and code on PostgreSQL.
- PostgreSQL only: a GIN index of the one- and two-character pieces ("grams") of every
  active institution's upper-cased name and short name, so a name search finds its
  candidates from the bigrams of the query, whatever its length (pg_trgm would need three
  characters, and most Chinese place names have two). A query asks for every other bigram
  of itself (and the last one): a match needs them all, and the name test afterwards is
  exact; each bigram asked costs a posting list. `institutions_name_grams` and
  `institutions_query_grams` are immutable SQL functions; a query must spell the indexed
  expression exactly as `directory.GRAMS_MATCH` does.
"""

from django.db import migrations, models

POSTGRES_FORWARD = [
    """
    CREATE FUNCTION institutions_name_grams(t text) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
      SELECT coalesce(array_agg(DISTINCT g), '{}') FROM (
        SELECT substr(t, i, 1) AS g FROM generate_series(1, length(t)) AS i
        UNION ALL
        SELECT substr(t, i, 2) FROM generate_series(1, length(t) - 1) AS i
      ) AS grams
    $$
    """,
    """
    CREATE FUNCTION institutions_query_grams(t text) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
      SELECT CASE WHEN length(t) < 2 THEN ARRAY[t] ELSE (
        SELECT array_agg(DISTINCT substr(t, i, 2))
        FROM generate_series(1, length(t) - 1) AS i
        WHERE mod(i, 2) = 1 OR i = length(t) - 1
      ) END
    $$
    """,
    "CREATE INDEX inst_name_grams ON institutions_institution USING gin "
    "(institutions_name_grams(upper(name || ' ' || short_name))) WHERE is_active",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS inst_name_grams",
    "DROP FUNCTION IF EXISTS institutions_query_grams(text)",
    "DROP FUNCTION IF EXISTS institutions_name_grams(text)",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("institutions", "0001_initial")]

    operations = [
        migrations.AddIndex(
            model_name="institution",
            index=models.Index(
                condition=models.Q(("is_active", True)),
                fields=["depth", "name", "id"],
                include=("short_name", "code"),
                name="inst_public_order",
            ),
        ),
        migrations.RunPython(_run(POSTGRES_FORWARD), _run(POSTGRES_BACKWARD)),
    ]

"""The full-text part of the index, per database vendor (see culturecloud.search.backends).

PostgreSQL: a `tsv` column (weights A/B/C, filter and popularity tokens) with a GIN index.
SQLite: an FTS5 table under the documents' ids, emptied by a trigger
when a document row is deleted.
"""

from django.db import migrations

POSTGRES_FORWARD = [
    "ALTER TABLE search_searchdocument ADD COLUMN tsv tsvector NOT NULL DEFAULT ''::tsvector",
    "CREATE INDEX search_doc_tsv ON search_searchdocument USING gin (tsv)",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS search_doc_tsv",
    "ALTER TABLE search_searchdocument DROP COLUMN IF EXISTS tsv",
]
SQLITE_FORWARD = [
    "CREATE VIRTUAL TABLE search_fts USING fts5("
    "title, subject, body, tokenize = 'unicode61 remove_diacritics 0')",
    "CREATE TRIGGER search_doc_delete AFTER DELETE ON search_searchdocument "
    "BEGIN DELETE FROM search_fts WHERE rowid = old.id; END",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS search_doc_delete",
    "DROP TABLE IF EXISTS search_fts",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRES_FORWARD, "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": POSTGRES_BACKWARD, "sqlite": SQLITE_BACKWARD}),
        )
    ]

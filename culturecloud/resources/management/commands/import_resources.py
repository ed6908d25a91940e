"""manage.py import_resources FILE [--publish] [--as-user USERNAME] [--dry-run]

Imports Dublin Core rows (CSV or JSON, see resources/importer.py). Bad rows are reported as
"row N: reason" and the good rows still land; a progress bar goes to stderr when it is a
terminal; the summary (imported, updated, unchanged, failed) closes the run. The exit status
is 1 when a row failed.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from culturecloud.core.errors import ServiceError
from culturecloud.resources import importer

BAR_WIDTH = 30


class Command(BaseCommand):
    help = "Import resources from a CSV or JSON file of Dublin Core rows."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="CSV or JSON file")
        parser.add_argument(
            "--publish", action="store_true", help="approve and publish each row (trusted loads)"
        )
        parser.add_argument(
            "--as-user",
            dest="as_user",
            default="",
            help="username of the staff member the import is done and audited as "
            "(default: the first platform administrator)",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="check every row, change nothing"
        )

    def _actor(self, username: str) -> Any:
        users = get_user_model().objects.filter(is_active=True)
        if username:
            user = users.filter(username=username).first()
            if user is None:
                raise CommandError(f"No active user “{username}”.")
            if not (user.is_staff or user.is_superuser or user.memberships.exists()):
                raise CommandError(f"“{username}” is not a staff member.")
            return user
        user = users.filter(is_superuser=True).order_by("pk").first()
        if user is None:
            raise CommandError("There is no platform administrator; give --as-user.")
        return user

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No file “{path}”.")
        actor = self._actor(options["as_user"])
        tty = self.stderr.isatty() if hasattr(self.stderr, "isatty") else sys.stderr.isatty()

        def progress(done: int, total: int) -> None:
            if not tty or not total:
                return
            filled = BAR_WIDTH * done // total
            bar = "#" * filled + "-" * (BAR_WIDTH - filled)
            self.stderr.write(f"\r[{bar}] {done}/{total}", ending="")
            if done == total:
                self.stderr.write("")

        try:
            report = importer.import_file(
                actor=actor,
                data=path.read_bytes(),
                filename=path.name,
                publish=options["publish"],
                dry_run=options["dry_run"],
                allow_local_media=True,
                progress=progress,
            )
        except ServiceError as exc:
            raise CommandError(str(exc.message)) from exc
        for error in report.errors:
            self.stderr.write(str(error))
        prefix = "dry run, nothing changed — " if report.dry_run else ""
        self.stdout.write(prefix + report.summary())
        if report.failed:
            raise CommandError(f"{report.failed} row(s) failed.")

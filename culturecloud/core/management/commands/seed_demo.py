from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from culturecloud.core.errors import ServiceError
from culturecloud.core.management.demo import demo_exists, logins_markdown, seed_demo


class Command(BaseCommand):
    help = (
        "Load the demo data set (in Chinese): the national centre, three provinces down to "
        "villages, staff at every level, citizens, articles and a resource library with "
        "generated media. All or nothing."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--once",
            action="store_true",
            help="Do nothing if the demo data is already there (used by `make run`).",
        )
        parser.add_argument(
            "--no-media",
            action="store_true",
            help="Create the resource library without generating media files (fast; tests).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if demo_exists():
            if options["once"]:
                if options["verbosity"] >= 2:
                    self.stdout.write("Demo data already loaded; nothing to do.")
                return
            raise CommandError(
                "The demo data is already loaded. Use --once to skip it, "
                "or start from an empty database."
            )
        progress = self.stdout.write if options["verbosity"] >= 2 else None
        try:
            result = seed_demo(progress=progress, with_media=not options["no_media"])
        except ServiceError as exc:
            raise CommandError(f"Demo data not loaded ({exc.code}): {exc.message}") from exc
        resources = ", ".join(f"{n} {state}" for state, n in sorted(result.resources.items()))
        articles = ", ".join(f"{count} {state}" for state, count in sorted(result.articles.items()))
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data loaded: {result.institutions} institutions, {result.users} accounts, "
                f"{result.memberships} staff roles, articles: {articles}, resources: {resources} "
                f"({result.media_files} media files)."
            )
        )
        if options["verbosity"] >= 1:
            self.stdout.write("\nDemo logins (also in README.md):\n")
            self.stdout.write(logins_markdown())

"""``manage.py seed_demo``: the demo user (and, with the ledger, its portfolios). Idempotent."""

from django.core.management.base import BaseCommand

from accounts.models import User
from accounts.services import user_create

DEMO_EMAIL = "demo@portfolia.local"
DEMO_PASSWORD = "demo-portfolia-2026"


class Command(BaseCommand):
    help = "Create the demo user if missing and print its login."

    def handle(self, *args, **options) -> None:
        user = User.objects.filter(email=DEMO_EMAIL).first()
        if user is None:
            user = user_create(
                email=DEMO_EMAIL, password=DEMO_PASSWORD, name="Demo Investor", base_currency="USD"
            )
            self.stdout.write(self.style.SUCCESS("Created the demo user."))
        self.stdout.write(
            f"Demo login: {DEMO_EMAIL} / {DEMO_PASSWORD}  →  http://127.0.0.1:8000/accounts/login/"
        )

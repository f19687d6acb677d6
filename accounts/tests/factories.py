"""factory-boy factories for accounts."""

import factory
from django.contrib.auth.models import Group, Permission

from accounts.models import User
from accounts.roles import roles_grant

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"investor{n}@example.com")
    name = factory.Faker("name")
    base_currency = "USD"
    email_verified = True
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()

    @factory.post_generation
    def roles(obj, create, extracted, **kwargs):
        """``roles=["Staff"]`` or ``["Support"]``: the groups of migration 0004."""
        if create and extracted:
            if Group.objects.filter(name__in=extracted).count() < len(extracted):
                roles_grant(Group, Permission)  # a flushed database (browser tests) lost them
            obj.groups.add(*Group.objects.filter(name__in=extracted))

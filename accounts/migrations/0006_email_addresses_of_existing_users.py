"""Give every existing person a django-allauth EmailAddress row for their address, unverified.

Before this release anyone could sign up with any address and was never asked to prove it, so no
existing account can be trusted as verified: not the ones that joined the Provider Program, not
company users, not operators (their address was typed by whoever created them). Each person
verifies at their next portal login, which sends them the link; until then their address is no
"Heroku account associated with it" (they cannot be added to a company, accept an invitation or
join the Provider Program), though memberships they already hold stay. Operators log in to the
admin as before, and may mark an address verified there (Email addresses) when they vouch for it.
The demo data (`load_demo_data`) marks its own logins verified.
"""

from django.db import migrations


def add_unverified_addresses(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    EmailAddress = apps.get_model("account", "EmailAddress")
    have_one = EmailAddress.objects.filter(primary=True).values("user_id")
    EmailAddress.objects.bulk_create(
        [
            EmailAddress(user_id=user_id, email=email, verified=False, primary=True)
            for user_id, email in User.objects.exclude(pk__in=have_one)
            .exclude(email="")
            .values_list("pk", "email")
            .iterator(chunk_size=2000)
        ],
        batch_size=1000,
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_auditevent_lifecycle_actions"),
        ("account", "0009_emailaddress_unique_primary_email"),
    ]

    operations = [migrations.RunPython(add_unverified_addresses, migrations.RunPython.noop)]

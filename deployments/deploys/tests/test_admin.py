"""Platform staff manage registry credentials in the admin: the password is write-only (never in the HTML, kept
when left blank), and every change is audited; deploys are shown, never edited there."""

import pytest

from accounts.models import AuditEvent, User
from accounts.tests.admin_helpers import admin_url
from accounts.tests.factories import PASSWORD
from deployments.models import Deploy, RegistryCredential

pytestmark = pytest.mark.django_db
SECRET = "registry-password-do-not-leak"


@pytest.fixture
def staff(client, db):
    client.force_login(User.objects.create_superuser(email="staff@aerodrome.test", password=PASSWORD))
    return client


def test_the_password_is_write_only_and_kept_when_left_blank(staff, tenancy):
    add = staff.post(
        admin_url(RegistryCredential, "add"),
        {"workspace": tenancy.workspace.pk, "registry": "registry.acme.test", "username": "robot", "password": SECRET},
    )
    assert add.status_code == 302, add.content.decode()[:2000]
    credential = RegistryCredential.objects.get()
    page = staff.get(admin_url(RegistryCredential, "change", credential.pk))
    assert page.status_code == 200 and SECRET not in page.content.decode()
    staff.post(
        admin_url(RegistryCredential, "change", credential.pk),
        {"workspace": tenancy.workspace.pk, "registry": "registry.acme.test", "username": "robot2", "password": ""},
    )
    credential.refresh_from_db()
    assert (credential.username, credential.password) == ("robot2", SECRET)
    entries = AuditEvent.objects.filter(action="registry_credential.set")
    assert [e.changes["password"] for e in entries.order_by("id")] == ["set", "replaced"]
    assert all(SECRET not in str(e.changes) for e in entries)


def test_deploys_cannot_be_added_or_changed_in_the_admin(staff):
    assert staff.get(admin_url(Deploy, "add")).status_code == 403
    assert staff.get(admin_url(Deploy)).status_code == 200

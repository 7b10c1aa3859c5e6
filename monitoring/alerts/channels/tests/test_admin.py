"""Platform staff can see channels and deliveries (with every attempt) in the admin, read-only, and never a
secret."""

import pytest

from accounts.models import User
from accounts.tests.factories import PASSWORD
from monitoring.alerts.channels import services
from monitoring.alerts.channels.models import Delivery
from monitoring.alerts.channels.tests.helpers import SIGNING_SECRET

pytestmark = pytest.mark.django_db


def test_staff_see_channels_and_attempts_but_no_secret_and_change_nothing(client, tenancy, receiver):
    channel = services.channel_create(
        actor=tenancy.owner, workspace=tenancy.workspace, name="hook", kind="WEBHOOK",
        url=receiver.url("/hook?token=tok-do-not-leak"), signing_secret=SIGNING_SECRET,
    )  # fmt: skip
    receiver.answer("/hook", 500)
    services.channel_test(actor=tenancy.owner, channel=channel)
    delivery = Delivery.objects.get()
    client.force_login(User.objects.create_superuser(email="staff@aerodrome.test", password=PASSWORD))

    pages = [
        client.get("/admin/monitoring/channel/"),
        client.get(f"/admin/monitoring/channel/{channel.pk}/change/"),
        client.get("/admin/monitoring/delivery/"),
        client.get(f"/admin/monitoring/delivery/{delivery.pk}/change/"),
    ]
    assert [page.status_code for page in pages] == [200] * 4
    for page in pages:
        text = page.content.decode()
        assert "tok-do-not-leak" not in text and SIGNING_SECRET not in text
    assert "The service answered 500" in pages[3].content.decode()
    assert client.post(f"/admin/monitoring/channel/{channel.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get("/admin/monitoring/channel/add/").status_code == 403

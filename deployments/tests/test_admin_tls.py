"""The cluster's TLS setting in the Django admin (issue 10): through the service, key write-only, audited."""

import pytest

from accounts.models import AuditEvent
from accounts.tests.admin_helpers import admin_url, change_form_data
from deployments.models import Cluster
from deployments.tests.certificates import make_certificate
from deployments.tests.test_admin import cluster, staff, staff_user  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


def test_staff_upload_a_wildcard_certificate_and_the_key_is_never_shown(staff, cluster):  # noqa: F811
    certificate, key = make_certificate(f"*.{cluster.ingress_base_domain}")
    url = admin_url(Cluster, "change", cluster.pk)
    data = change_form_data(staff.get(url))
    data.update(tls_mode="CERTIFICATE", tls_certificate=certificate, tls_private_key=key)
    assert staff.post(url, data).status_code == 302
    cluster.refresh_from_db()
    assert cluster.tls_mode == "CERTIFICATE" and cluster.tls_private_key.strip() == key.strip()
    page = staff.get(url).content.decode()
    assert key.strip().splitlines()[1] not in page
    assert f"*.{cluster.ingress_base_domain} (until " in page and "key stored" in page
    changes = AuditEvent.objects.get(action="cluster.update").changes
    assert changes["tls_private_key"] == "(changed)" and "PRIVATE KEY" not in str(changes)
    listing = staff.get(admin_url(Cluster)).content.decode()
    assert "Wildcard certificate: *." in listing


def test_a_bad_cluster_issuer_is_refused_next_to_its_field(staff, cluster):  # noqa: F811
    url = admin_url(Cluster, "change", cluster.pk)
    data = change_form_data(staff.get(url))
    data.update(tls_mode="CLUSTER_ISSUER", tls_cluster_issuer="Lets Encrypt")
    response = staff.post(url, data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "lower-case letters" in " ".join(errors["tls_cluster_issuer"])
    assert Cluster.objects.get(pk=cluster.pk).tls_mode == "NONE"

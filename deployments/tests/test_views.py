"""Deployment and cluster pages: who may see and change what, inline errors, secrets, polling, quota preview."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from accounts.roles import OrgRole, WorkspaceRole
from accounts.tests.factories import BindingFactory, MembershipFactory, UserFactory, WorkspaceFactory
from accounts.tests.page_helpers import HTMX, db_state, text
from deployments import catalog, services
from deployments.models import Cluster, Deployment, DeploymentEvent, EnvironmentVariable, WorkerQueue
from deployments.tests.factories import kubeconfig_for, make_cluster, make_deployment

pytestmark = pytest.mark.django_db

SECRET = "s3cr3t-Value-9f8e7d"
KUBECONFIG_TOKEN = "test-token"


def state() -> dict:
    """Every tenancy, deployment and audit row, to prove a refused request changed nothing."""
    snapshot = db_state()
    for model in (Cluster, Deployment, WorkerQueue, EnvironmentVariable, DeploymentEvent):
        snapshot[model.__name__] = list(model.objects.order_by("pk").values())
    return snapshot


def url(name, *args, org="acme"):
    return reverse(name, args=[org, *args])


def new_audit(action, *, actor, since: int) -> AuditEvent:
    """The one audit entry with this action written after `since` (the highest pk before the request)."""
    events = AuditEvent.objects.filter(action=action, pk__gt=since)
    assert events.count() == 1, f"expected one new {action} entry, found {events.count()}"
    event = events.get()
    assert event.actor == actor
    return event


def last_audit_pk() -> int:
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


# ---------------------------------------------------------------------------------------------------- fixtures


def _workspace_user(tenancy, email, role):
    user = UserFactory(email=email)
    MembershipFactory(organization=tenancy.org, user=user, role=OrgRole.MEMBER)
    if role:
        BindingFactory(workspace=tenancy.workspace, user=user, role=role)
    return user


@pytest.fixture
def operator(tenancy):
    return _workspace_user(tenancy, "operator@acme.test", WorkspaceRole.OPERATOR)


@pytest.fixture
def author(tenancy):
    return _workspace_user(tenancy, "author@acme.test", WorkspaceRole.AUTHOR)


@pytest.fixture
def unbound(tenancy):
    """An acme member with no role on the workspace."""
    return _workspace_user(tenancy, "unbound@acme.test", None)


@pytest.fixture
def cluster(tenancy):
    return make_cluster(organization=tenancy.org, name="eu-prod", ingress_base_domain="airflow.acme.test")


@pytest.fixture
def deployment(tenancy):
    return make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, name="Sales pipelines")


@pytest.fixture
def world(tenancy, deployment, cluster):
    """A Deployment with an extra queue, a plain variable and a secret one, and a spare cluster."""
    services.queue_create(actor=tenancy.owner, deployment=deployment, name="etl", max_workers=4)
    services.variable_set(actor=tenancy.owner, deployment=deployment, key="REGION", value="eu-west-1")
    services.variable_set(actor=tenancy.owner, deployment=deployment, key="API_TOKEN", value=SECRET, is_secret=True)
    deployment.refresh_from_db()
    return deployment


def queue(deployment, name="etl") -> WorkerQueue:
    return deployment.queues.get(name=name)


def variable(deployment, key="REGION") -> EnvironmentVariable:
    return deployment.variables.get(key=key)


RESOURCES = {
    "executor": catalog.Executor.CELERY,
    "scheduler_size": "SMALL",
    "scheduler_replicas": "2",
    "triggerer_replicas": "1",
    "api_server_replicas": "1",
    "task_pod_cpu": "0.5",
    "task_pod_memory_mib": "1024",
    "max_task_pods": "16",
    "headroom_percent": "0",
}
CREATE = {
    "name": "Marketing",
    "cluster": "",
    "airflow_version": catalog.DEFAULT_AIRFLOW_VERSION,
    "executor": catalog.Executor.CELERY,
    "scheduler_size": "SMALL",
    "contact_emails": "",
}
SETTINGS = {"name": "Sales pipelines v2", "airflow_version": catalog.DEFAULT_AIRFLOW_VERSION}


def deployment_mutations(tenancy, d) -> dict:
    """Every Deployment mutation as (url, POST data, audit action)."""
    extra, default, plain = queue(d), queue(d, "default"), variable(d)
    return {
        "create": (url("deployment_create", tenancy.workspace.pk), CREATE, "deployment.create"),
        "update": (url("deployment_update", d.pk), SETTINGS, "deployment.update"),
        "resources": (url("deployment_resources", d.pk), RESOURCES, "deployment.update"),
        "delete": (url("deployment_delete", d.pk), {"confirm_name": d.name}, "deployment.delete"),
        "reconcile": (url("deployment_reconcile", d.pk), {}, "deployment.reconcile"),
        "queue_add": (
            url("queue_add", d.pk),
            {"name": "reports", "worker_type": "A5", "min_workers": "0", "max_workers": "3"},
            "deployment.queue_create",
        ),
        "queue_edit": (
            url("queue_edit", d.pk, default.pk),
            {"worker_type": "A10", "min_workers": "1", "max_workers": "5", "concurrency": ""},
            "deployment.queue_update",
        ),
        "queue_delete": (url("queue_delete", d.pk, extra.pk), {}, "deployment.queue_delete"),
        "variable_add": (url("variable_add", d.pk), {"key": "NEW_KEY", "value": "x"}, "deployment.variable_create"),
        "variable_edit": (url("variable_edit", d.pk, plain.pk), {"value": "us-east-1"}, "deployment.variable_update"),
        "variable_delete": (url("variable_delete", d.pk, plain.pk), {}, "deployment.variable_delete"),
    }


def cluster_mutations(cluster) -> dict:
    return {
        "cluster_create": (
            url("cluster_create"),
            {
                "name": "us-east",
                "auth": "KUBECONFIG",
                "kubeconfig": kubeconfig_for("http://127.0.0.1:1"),
                "kubernetes_version": "1.33",
                "ingress_base_domain": "airflow.us.acme.test",
            },
            "cluster.create",
        ),
        "cluster_update": (
            url("cluster_update", cluster.pk),
            {
                "name": "eu-prod-2",
                "auth": "KUBECONFIG",
                "kubeconfig": "",
                "kubernetes_version": "1.34",
                "ingress_base_domain": "airflow.acme.test",
            },
            "cluster.update",
        ),
        "cluster_test": (url("cluster_test", cluster.pk), {}, "cluster.test_connection"),
        "cluster_delete": (url("cluster_delete", cluster.pk), {}, "cluster.delete"),
    }


DEPLOYMENT_MUTATIONS = [
    "create",
    "update",
    "resources",
    "delete",
    "reconcile",
    "queue_add",
    "queue_edit",
    "queue_delete",
    "variable_add",
    "variable_edit",
    "variable_delete",
]
CLUSTER_MUTATIONS = ["cluster_create", "cluster_update", "cluster_test", "cluster_delete"]


def deployment_pages(tenancy, d) -> list[str]:
    """Every GET of a Deployment (the polled fragments included)."""
    return [
        url("deployment_overview", d.pk),
        url("deployment_status", d.pk),
        url("deployment_status", d.pk) + "?part=badge",
        url("deployment_resources", d.pk),
        url("deployment_variables", d.pk),
        url("deployment_events", d.pk),
        url("deployment_manifests", d.pk),
        url("queue_row", d.pk, d.queues.first().pk),
        url("variable_row", d.pk, d.variables.first().pk),
    ]


def edit_pages(tenancy, d) -> list[str]:
    return [
        url("deployment_create", tenancy.workspace.pk),
        url("queue_edit", d.pk, queue(d).pk),
        url("variable_edit", d.pk, variable(d).pk),
    ]


@pytest.fixture(autouse=True)
def _no_kube_retries(settings):
    settings.KUBE_RETRIES = 0
    settings.KUBE_REQUEST_TIMEOUT = 2


# ----------------------------------------------------------------------------------------- anonymous visitors


def test_anonymous_user_is_sent_to_login_from_deployment_pages(client, tenancy, world):
    for page in [*deployment_pages(tenancy, world), url("cluster_list")]:
        response = client.get(page)
        assert response.status_code == 302, page
        assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("which", DEPLOYMENT_MUTATIONS + CLUSTER_MUTATIONS)
def test_anonymous_user_cannot_change_deployments_or_clusters(client, tenancy, world, cluster, which):
    target, data, _ = {**deployment_mutations(tenancy, world), **cluster_mutations(cluster)}[which]
    before = state()
    response = client.post(target, data)
    assert response.status_code == 302
    assert state() == before


# ----------------------------------------------------------------------------------------------- outsiders


def test_outsider_gets_404_on_every_deployment_page(login, tenancy, world):
    client = login(tenancy.outsider)
    for page in deployment_pages(tenancy, world) + edit_pages(tenancy, world):
        assert client.get(page).status_code == 404, page
        # Their own organisation in the address does not help either.
        assert client.get(page.replace("/orgs/acme/", "/orgs/globex/")).status_code == 404, page
    assert client.get(url("deployment_manifests", world.pk) + "?download=1").status_code == 404
    assert client.get(url("workspace_deployments", tenancy.workspace.pk), **HTMX).status_code == 404
    assert client.post(url("deployment_quota", world.pk), RESOURCES).status_code == 404


@pytest.mark.parametrize("which", DEPLOYMENT_MUTATIONS + CLUSTER_MUTATIONS)
def test_outsider_gets_404_changing_another_organisations_deployments(login, tenancy, world, cluster, which):
    target, data, _ = {**deployment_mutations(tenancy, world), **cluster_mutations(cluster)}[which]
    client = login(tenancy.outsider)
    before = state()
    assert client.post(target, data).status_code == 404
    if which != "cluster_create":  # that one would rightly add a cluster to their own organisation
        assert client.post(target.replace("/orgs/acme/", "/orgs/globex/"), data).status_code == 404
    assert state() == before


def test_outsider_gets_404_for_acme_objects_under_their_own_organisation(login, tenancy, world, cluster):
    client = login(tenancy.outsider)
    before = state()
    for which, (target, data, _) in {**deployment_mutations(tenancy, world), **cluster_mutations(cluster)}.items():
        if which in ("create", "cluster_create"):
            continue  # those address the organisation, not an object
        assert client.post(target.replace("/orgs/acme/", "/orgs/globex/"), data).status_code == 404, which
    assert client.get(url("cluster_update", cluster.pk, org="globex")).status_code == 404
    assert state() == before


def test_owner_gets_404_for_another_organisations_deployment_under_their_own(login, tenancy):
    foreign = make_deployment(actor=tenancy.outsider, workspace=tenancy.other_workspace, name="Globex ETL")
    foreign_cluster = make_cluster(organization=tenancy.other_org, name="globex-k8s")
    client = login(tenancy.owner)
    before = state()
    for name in ("deployment_overview", "deployment_resources", "deployment_variables", "deployment_status"):
        assert client.get(url(name, foreign.pk)).status_code == 404, name
    for name, data in (
        ("deployment_update", SETTINGS),
        ("deployment_resources", RESOURCES),
        ("deployment_delete", {"confirm_name": "Globex ETL"}),
        ("deployment_reconcile", {}),
        ("queue_add", {"name": "x", "worker_type": "A5", "min_workers": 1, "max_workers": 2}),
        ("variable_add", {"key": "X", "value": "y"}),
    ):
        assert client.post(url(name, foreign.pk), data).status_code == 404, name
    foreign_queue = foreign.queues.get()
    assert client.post(url("queue_edit", foreign.pk, foreign_queue.pk), {"min_workers": 0}).status_code == 404
    assert client.post(url("cluster_delete", foreign_cluster.pk)).status_code == 404
    assert client.get(url("deployment_create", tenancy.other_workspace.pk)).status_code == 404
    assert state() == before


def test_a_queue_or_variable_of_another_deployment_is_404(login, tenancy, world):
    sibling = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, name="Sibling")
    client = login(tenancy.owner)
    before = state()
    assert client.post(url("queue_delete", sibling.pk, queue(world).pk)).status_code == 404
    assert client.post(url("variable_delete", sibling.pk, variable(world).pk)).status_code == 404
    assert client.get(url("variable_edit", sibling.pk, variable(world, "API_TOKEN").pk)).status_code == 404
    assert state() == before


def test_member_without_a_workspace_role_gets_404_on_its_deployments(login, tenancy, world, unbound):
    client = login(unbound)
    for page in deployment_pages(tenancy, world) + edit_pages(tenancy, world):
        assert client.get(page).status_code == 404, page
    before = state()
    for which, (target, data, _) in deployment_mutations(tenancy, world).items():
        assert client.post(target, data).status_code == 404, which
    assert state() == before


# ---------------------------------------------------------------------------------- read-only member, author


@pytest.mark.parametrize("which", DEPLOYMENT_MUTATIONS + CLUSTER_MUTATIONS)
@pytest.mark.parametrize("persona", ["member", "author"])
def test_read_only_member_and_author_cannot_change_deployments(login, tenancy, world, cluster, author, which, persona):
    user = {"member": tenancy.member, "author": author}[persona]
    target, data, _ = {**deployment_mutations(tenancy, world), **cluster_mutations(cluster)}[which]
    before = state()
    response = login(user).post(target, data)
    assert response.status_code == 403
    assert state() == before


@pytest.mark.parametrize("which", CLUSTER_MUTATIONS)
def test_workspace_operator_cannot_manage_clusters(login, tenancy, cluster, operator, which):
    target, data, _ = cluster_mutations(cluster)[which]
    before = state()
    assert login(operator).post(target, data).status_code == 403
    assert state() == before


def test_member_cannot_open_the_edit_forms(login, tenancy, world, cluster):
    client = login(tenancy.member)
    for page in [*edit_pages(tenancy, world), url("cluster_create"), url("cluster_update", cluster.pk)]:
        assert client.get(page).status_code == 403, page


def test_member_sees_every_tab_without_edit_controls(login, tenancy, world):
    client = login(tenancy.member)
    for page in deployment_pages(tenancy, world)[:1] + deployment_pages(tenancy, world)[3:7]:
        response = client.get(page)
        assert response.status_code == 200, page
        body = text(response)
        for control in (
            "Reconcile now",
            'id="delete-deployment-form"',
            'id="deployment-settings-form"',
            "Save resources",
            'id="queue-add-form"',
            'id="variable-add-form"',
            "/edit/",
            "/delete/",
        ):
            assert control not in body, (page, control)
    resources = text(client.get(url("deployment_resources", world.pk)))
    assert "<fieldset" in resources and " disabled" in resources


def test_member_may_preview_the_quota(login, tenancy, world):
    response = login(tenancy.member).post(url("deployment_quota", world.pk), RESOURCES, **HTMX)
    assert response.status_code == 200
    assert 'id="quota-preview"' in text(response)


def test_member_sees_the_deployments_on_the_workspace_page_without_create_buttons(login, tenancy, world):
    body = text(login(tenancy.member).get(reverse("workspace_detail", args=["acme", tenancy.workspace.pk])))
    assert "Sales pipelines" in body
    assert url("deployment_overview", world.pk) in body
    assert "New Deployment" not in body and "Create Deployment" not in body


# ---------------------------------------------------------------------------------------- operator and owner


@pytest.mark.parametrize("which", DEPLOYMENT_MUTATIONS)
@pytest.mark.parametrize("persona", ["operator", "owner"])
def test_operator_and_owner_change_deployments_with_an_audit_entry(login, tenancy, world, operator, which, persona):
    user = {"operator": operator, "owner": tenancy.owner}[persona]
    target, data, action = deployment_mutations(tenancy, world)[which]
    since = last_audit_pk()
    response = login(user).post(target, data, **HTMX)
    assert response.status_code == 204, text(response)
    assert response["HX-Location"]
    event = new_audit(action, actor=user, since=since)
    assert event.organization == tenancy.org


@pytest.mark.parametrize("which", CLUSTER_MUTATIONS)
def test_owner_manages_clusters_with_an_audit_entry(login, tenancy, cluster, which):
    target, data, action = cluster_mutations(cluster)[which]
    since = last_audit_pk()
    response = login(tenancy.owner).post(target, data, **HTMX)
    assert response.status_code in (200, 204)
    new_audit(action, actor=tenancy.owner, since=since)


def test_plain_browsers_are_redirected_after_a_change(login, tenancy, world):
    response = login(tenancy.owner).post(url("deployment_reconcile", world.pk), {})
    assert response.status_code == 302
    assert response["Location"] == url("deployment_overview", world.pk)


def test_reconcile_returns_to_the_tab_it_was_asked_from(login, tenancy, world):
    back = url("deployment_events", world.pk)
    response = login(tenancy.owner).post(url("deployment_reconcile", world.pk), {"next": back}, **HTMX)
    assert response["HX-Location"] == back
    evil = login(tenancy.owner).post(url("deployment_reconcile", world.pk), {"next": "https://evil.test/"}, **HTMX)
    assert evil["HX-Location"] == url("deployment_overview", world.pk)


def test_mutations_are_post_only(login, tenancy, world, cluster):
    client = login(tenancy.owner)
    before = state()
    for target in (
        url("deployment_update", world.pk),
        url("deployment_delete", world.pk),
        url("deployment_reconcile", world.pk),
        url("deployment_quota", world.pk),
        url("queue_add", world.pk),
        url("queue_delete", world.pk, queue(world).pk),
        url("variable_add", world.pk),
        url("variable_delete", world.pk, variable(world).pk),
        url("cluster_test", cluster.pk),
        url("cluster_delete", cluster.pk),
    ):
        assert client.get(target).status_code == 405, target
    assert state() == before


# ------------------------------------------------------------------------------------------------------ create


def test_operator_creates_a_deployment_and_lands_on_its_overview(login, tenancy, operator, cluster):
    data = {
        **CREATE,
        "name": " Marketing ",
        "cluster": str(cluster.pk),
        "executor": catalog.Executor.KUBERNETES,
        "contact_emails": "Ops@acme.test\ndata@acme.test",
    }
    response = login(operator).post(url("deployment_create", tenancy.workspace.pk), data, **HTMX)
    created = Deployment.objects.get(name="Marketing")
    assert response.status_code == 204
    assert response["HX-Location"] == url("deployment_overview", created.pk)
    assert created.cluster == cluster
    assert created.executor == catalog.Executor.KUBERNETES
    assert created.contact_emails == ["ops@acme.test", "data@acme.test"]
    assert created.created_by == operator
    body = text(login(operator).get(url("deployment_overview", created.pk)))
    assert "Deployment “Marketing” created." in body
    assert f"http://{created.release_name}.airflow.acme.test" in body  # the cluster has no TLS setting


def test_create_form_offers_the_organisations_and_platform_clusters(login, tenancy, cluster):
    platform = make_cluster(name="shared-eu")
    foreign = make_cluster(organization=tenancy.other_org, name="globex-k8s")
    body = text(login(tenancy.owner).get(url("deployment_create", tenancy.workspace.pk)))
    assert f'<option value="{cluster.pk}" selected>eu-prod</option>' in body  # a real cluster is the default
    assert f'<option value="{platform.pk}">shared-eu · Platform</option>' in body
    assert '<option value="">Built-in (manifests only)</option>' in body
    assert "globex-k8s" not in body and f'value="{foreign.pk}"' not in body
    for version in catalog.AIRFLOW_VERSIONS:
        assert f'<option value="{version}"' in body


def test_without_clusters_the_built_in_one_is_the_default(login, tenancy):
    body = text(login(tenancy.owner).get(url("deployment_create", tenancy.workspace.pk)))
    assert '<option value="" selected>Built-in (manifests only)</option>' in body


def test_creating_on_another_organisations_cluster_is_refused(login, tenancy):
    foreign = make_cluster(organization=tenancy.other_org, name="globex-k8s")
    before = state()
    response = login(tenancy.owner).post(
        url("deployment_create", tenancy.workspace.pk), {**CREATE, "cluster": str(foreign.pk)}
    )
    assert response.status_code == 400
    assert "Select a valid choice." in text(response)
    assert state() == before


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "This field is required."),
        ("name", "x" * 101, "The name can be at most 100 characters long (it has 101)."),
        ("name", "SALES PIPELINES", "A Deployment named “SALES PIPELINES” already exists in this workspace."),
        ("airflow_version", "1.10.15", "Select a valid choice. 1.10.15 is not one of the available choices."),
        ("scheduler_size", "HUGE", "Select a valid choice. HUGE is not one of the available choices."),
        ("contact_emails", "not-an-email", "“not-an-email” is not a valid email address."),
        ("image_repository", "Not A Repo!", "Enter an image repository such as apache/airflow."),
        ("image_tag", "bad tag", "An image tag is letters, digits, dots, dashes and underscores (at most 128)."),
    ],
)
def test_creating_with_bad_input_shows_the_error_inline_and_keeps_the_input(
    login, tenancy, deployment, field, value, message
):
    data = {**CREATE, "description": "Kept description", field: value}
    before = state()
    client = login(tenancy.owner)
    response = client.post(url("deployment_create", tenancy.workspace.pk), data)
    assert response.status_code == 400
    body = text(response)
    assert message in body
    assert "Kept description" in body
    assert state() == before
    htmx = client.post(url("deployment_create", tenancy.workspace.pk), data, **HTMX)
    assert htmx.status_code == 200
    body = text(htmx)
    assert "<html" not in body
    assert body.lstrip().startswith('<form class="card" id="create-deployment-form"')
    assert message in body
    assert state() == before


def test_the_advanced_section_opens_when_it_holds_an_error(login, tenancy):
    body = text(login(tenancy.owner).get(url("deployment_create", tenancy.workspace.pk)))
    assert '<details class="mt-2">' in body
    response = login(tenancy.owner).post(
        url("deployment_create", tenancy.workspace.pk), {**CREATE, "image_tag": "bad tag"}, **HTMX
    )
    assert '<details class="mt-2" open>' in text(response)


# ---------------------------------------------------------------------------------------------------- overview


def test_overview_shows_the_deployment(login, tenancy, world, cluster):
    body = text(login(tenancy.owner).get(url("deployment_overview", world.pk)))
    assert '<h2 class="page-title mb-0" id="deployment-name">Sales pipelines</h2>' in body
    assert world.release_name in body and world.namespace in body
    assert f"Airflow {world.airflow_version}" in body
    assert "Built-in (manifests only)" in body
    assert "https://" not in body.split('id="details-card"')[1].split("</div>")[0]  # no UI on the built-in one
    assert "Olive Owner" in body
    assert "Reconcile now" in body
    assert 'data-confirm-name="Sales pipelines"' in body
    assert "Added variable API_TOKEN." in body  # recent events


def test_overview_lists_only_the_last_five_events(login, tenancy, deployment):
    for n in range(8):
        DeploymentEvent.objects.create(deployment=deployment, reason=f"Step{n}", message=f"Message {n}")
    body = text(login(tenancy.owner).get(url("deployment_overview", deployment.pk)))
    recent = body.split('id="recent-events"')[1]
    assert "Step7" in recent and "Step3" in recent
    assert "Step2" not in recent


def test_settings_change_bumps_the_generation_and_shows_deploying(login, tenancy, deployment):
    Deployment.objects.filter(pk=deployment.pk).update(status=Deployment.Status.HEALTHY, observed_generation=1)
    client = login(tenancy.owner)
    response = client.post(url("deployment_update", deployment.pk), {**SETTINGS, "contact_emails": "a@acme.test"})
    assert response.status_code == 302
    deployment.refresh_from_db()
    assert deployment.name == "Sales pipelines v2"
    assert deployment.generation == 2
    body = text(client.get(url("deployment_overview", deployment.pk)))
    assert "Settings saved. Deploying generation 2…" in body
    assert 'data-status="DEPLOYING"' in body


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "This field is required."),
        ("y" * 101, "The name can be at most 100 characters long (it has 101)."),
        ("other one", "A Deployment named “other one” already exists in this workspace."),
    ],
)
def test_renaming_with_a_bad_name_shows_the_error_inline(login, tenancy, deployment, name, message):
    make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, name="Other One")
    before = state()
    client = login(tenancy.owner)
    response = client.post(url("deployment_update", deployment.pk), {**SETTINGS, "name": name})
    assert response.status_code == 400
    assert message in text(response)
    htmx = client.post(url("deployment_update", deployment.pk), {**SETTINGS, "name": name}, **HTMX)
    assert text(htmx).lstrip().startswith('<form class="card mb-3" id="deployment-settings-form"')
    assert message in text(htmx)
    assert state() == before


def test_going_back_to_an_older_airflow_shows_the_reason_next_to_the_version(login, tenancy, deployment):
    before = state()
    client = login(tenancy.owner)
    response = client.post(url("deployment_update", deployment.pk), {**SETTINGS, "airflow_version": "2.11.0"})
    assert response.status_code == 400
    field = text(response).split('id="id_airflow_version"')[1].split('<div class="mb-3">')[0]
    assert "Airflow cannot go back from 3.1.3 to 2.11.0: its metadata database cannot be migrated down." in field
    assert state() == before


TAG_WARNING = (
    "The image tag “2.10.5” does not look like Airflow 3.1.3. Aerodrome configures this Deployment for Airflow "
    "3.1.3: make sure the image runs it."
)


def test_a_pinned_tag_unlike_the_version_is_warned_before_and_after_saving(login, tenancy, deployment):
    client = login(tenancy.owner)
    overview = text(client.get(url("deployment_overview", deployment.pk)))
    check_url = url("deployment_settings_check", deployment.pk)
    assert f'hx-post="{check_url}"' in overview and "does not look like" not in overview

    # While typing: the settings form asks what saving would say.
    check = text(client.post(check_url, {**SETTINGS, "image_tag": "2.10.5"}, **HTMX))
    assert check.lstrip().startswith('<div id="settings-warnings"') and TAG_WARNING in check
    assert "does not look like" not in text(client.post(check_url, {**SETTINGS, "image_tag": "3.1.3-py3.12"}, **HTMX))
    older = text(client.post(check_url, {**SETTINGS, "airflow_version": "2.11.0"}, **HTMX))
    assert "Airflow cannot go back from 3.1.3 to 2.11.0" in older
    assert Deployment.objects.get(pk=deployment.pk).generation == 1  # checking saves nothing

    # Saved anyway (a custom image may name its tags as it likes); the warning stays in view.
    response = client.post(url("deployment_update", deployment.pk), {**SETTINGS, "image_tag": "2.10.5"})
    assert response.status_code == 302
    assert Deployment.objects.get(pk=deployment.pk).image_tag == "2.10.5"
    overview = text(client.get(url("deployment_overview", deployment.pk)))
    assert TAG_WARNING in overview.split('id="deployment-settings-form"')[1]


def test_a_read_only_member_cannot_use_the_settings_check(login, tenancy, deployment):
    response = login(tenancy.member).post(url("deployment_settings_check", deployment.pk), SETTINGS, **HTMX)
    assert response.status_code == 403


@pytest.mark.parametrize("typed", ["", "sales pipelines", "Sales", "Sales pipelines!"])
def test_deleting_needs_the_exact_name(login, tenancy, deployment, typed):
    before = state()
    client = login(tenancy.owner)
    response = client.post(url("deployment_delete", deployment.pk), {"confirm_name": typed})
    assert response.status_code == 400
    body = text(response)
    assert "Type the Deployment's name, “Sales pipelines”, to delete it." in body or "This field is required." in body
    htmx = client.post(url("deployment_delete", deployment.pk), {"confirm_name": typed}, **HTMX)
    assert text(htmx).lstrip().startswith('<form class="card border-danger" id="delete-deployment-form"')
    assert state() == before


def test_deleting_goes_back_to_the_workspace(login, tenancy, deployment):
    response = login(tenancy.owner).post(
        url("deployment_delete", deployment.pk), {"confirm_name": "Sales pipelines"}, **HTMX
    )
    assert response["HX-Location"] == reverse("workspace_detail", args=["acme", tenancy.workspace.pk])
    deployment.refresh_from_db()
    assert deployment.is_deleted and deployment.status == Deployment.Status.DELETING


# ----------------------------------------------------------------------------------------------------- polling


def set_status(deployment, status, **fields):
    Deployment.objects.filter(pk=deployment.pk).update(status=status, **fields)
    deployment.refresh_from_db()


def test_status_partial_polls_while_deploying_and_stops_once_healthy(login, tenancy, deployment):
    client = login(tenancy.owner)
    set_status(deployment, Deployment.Status.DEPLOYING, generation=4, observed_generation=3)
    body = text(client.get(url("deployment_status", deployment.pk), **HTMX))
    assert body.lstrip().startswith('<div class="card mb-3" id="status-card"')
    assert 'hx-trigger="every 2s"' in body
    assert "Deploying generation 4…" in body
    assert 'id="header-status" hx-swap-oob="true"' in body  # the header badge follows
    assert 'data-status="DEPLOYING"' in body

    set_status(deployment, Deployment.Status.HEALTHY, observed_generation=4, status_reason="All 9 components ready.")
    body = text(client.get(url("deployment_status", deployment.pk), **HTMX))
    assert "hx-trigger" not in body
    assert "All 9 components ready." in body
    assert 'data-status="HEALTHY"' in body


def test_overview_polls_only_while_not_final(login, tenancy, deployment):
    client = login(tenancy.owner)
    assert 'hx-trigger="every 2s"' in text(client.get(url("deployment_overview", deployment.pk)))  # CREATING
    set_status(deployment, Deployment.Status.RENDERED)
    assert 'hx-trigger="every' not in text(client.get(url("deployment_overview", deployment.pk)))


def test_other_tabs_poll_the_header_badge_until_final(login, tenancy, deployment):
    client = login(tenancy.owner)
    set_status(deployment, Deployment.Status.DEPLOYING)
    body = text(client.get(url("deployment_events", deployment.pk)))
    assert "?part=badge" in body and 'hx-trigger="every 2s"' in body
    badge = text(client.get(url("deployment_status", deployment.pk) + "?part=badge", **HTMX))
    assert badge.lstrip().startswith('<span id="header-status"') and "every 2s" in badge
    set_status(deployment, Deployment.Status.FAILED, status_reason="Forbidden: quota exceeded")
    badge = text(client.get(url("deployment_status", deployment.pk) + "?part=badge", **HTMX))
    assert "hx-trigger" not in badge and 'data-status="FAILED"' in badge


@pytest.mark.parametrize(
    ("status", "colour"),
    [
        ("HEALTHY", "status-green"),
        ("DEPLOYING", "status-blue"),
        ("CREATING", "status-blue"),
        ("RENDERED", "status-azure"),
        ("UNHEALTHY", "status-orange"),
        ("FAILED", "status-red"),
        ("DELETING", "status-secondary"),
    ],
)
def test_status_badges_have_their_colour(login, tenancy, deployment, status, colour):
    set_status(deployment, status)
    body = text(login(tenancy.owner).get(url("deployment_status", deployment.pk) + "?part=badge"))
    assert f'class="status deployment-status {colour}"' in body
    assert ("spinner-border" in body) == (status in ("DEPLOYING", "CREATING", "DELETING"))


def test_workspace_list_polls_while_some_deployment_is_changing(login, tenancy, deployment):
    other = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, name="Other")
    set_status(other, Deployment.Status.HEALTHY)
    set_status(deployment, Deployment.Status.DEPLOYING)
    client = login(tenancy.owner)
    page = text(client.get(reverse("workspace_detail", args=["acme", tenancy.workspace.pk])))
    assert 'hx-trigger="every 3s"' in page
    rows = text(client.get(url("workspace_deployments", tenancy.workspace.pk), **HTMX))
    assert rows.lstrip().startswith('<tbody id="deployment-rows"')
    assert 'hx-trigger="every 3s"' in rows
    assert "Sales pipelines" in rows and "Other" in rows

    set_status(deployment, Deployment.Status.HEALTHY)
    rows = text(client.get(url("workspace_deployments", tenancy.workspace.pk), **HTMX))
    assert "hx-trigger" not in rows
    page = text(client.get(reverse("workspace_detail", args=["acme", tenancy.workspace.pk])))
    assert "every 3s" not in page


def test_workspace_list_shows_each_deployments_facts(login, tenancy, deployment, cluster):
    on_cluster = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, name="On a cluster", cluster=cluster)
    set_status(on_cluster, Deployment.Status.UNHEALTHY)
    body = text(login(tenancy.owner).get(reverse("workspace_detail", args=["acme", tenancy.workspace.pk])))
    rows = body.split('id="deployment-rows"')[1]
    assert deployment.release_name in rows and on_cluster.release_name in rows
    assert "Built-in (manifests only)" in rows and "eu-prod" in rows
    assert catalog.DEFAULT_AIRFLOW_VERSION in rows
    assert "Celery · 1 queue" in rows
    assert "status-orange" in rows and "Unhealthy" in rows
    assert "updated just now" in rows
    assert "New Deployment" in body


def test_workspace_page_invites_operators_to_create_the_first_deployment(login, tenancy, operator):
    body = text(login(operator).get(reverse("workspace_detail", args=["acme", tenancy.workspace.pk])))
    assert "No Deployments yet" in body
    assert "Create Deployment" in body
    assert url("deployment_create", tenancy.workspace.pk) in body


def test_the_polled_list_needs_htmx(login, tenancy):
    response = login(tenancy.owner).get(url("workspace_deployments", tenancy.workspace.pk))
    assert response.status_code == 302


# ------------------------------------------------------------------------------------------------ soft delete


def test_deleted_deployments_leave_the_workspace_page_and_their_urls_404(login, tenancy, world):
    pages = deployment_pages(tenancy, world) + edit_pages(tenancy, world)[1:]
    services.deployment_delete(actor=tenancy.owner, deployment=world, confirm_name="Sales pipelines")
    client = login(tenancy.owner)
    body = text(client.get(reverse("workspace_detail", args=["acme", tenancy.workspace.pk])))
    assert "Sales pipelines" not in body
    assert "No Deployments yet" in body
    for page in pages:
        assert client.get(page).status_code == 404, page
    before = state()
    for which, (target, data, _) in deployment_mutations(tenancy, world).items():
        if which != "create":
            assert client.post(target, data).status_code == 404, which
    assert state() == before


def test_a_deleted_name_can_be_used_again(login, tenancy, deployment):
    services.deployment_delete(actor=tenancy.owner, deployment=deployment, confirm_name="Sales pipelines")
    response = login(tenancy.owner).post(
        url("deployment_create", tenancy.workspace.pk), {**CREATE, "name": "Sales pipelines"}
    )
    assert response.status_code == 302
    assert Deployment.objects.live().filter(name="Sales pipelines").count() == 1


# --------------------------------------------------------------------------------------------------- resources


def test_saving_resources_updates_the_deployment_and_shows_deploying(login, tenancy, deployment):
    set_status(deployment, Deployment.Status.HEALTHY, observed_generation=1)
    client = login(tenancy.owner)
    data = {**RESOURCES, "scheduler_replicas": "3", "triggerer_replicas": "2", "headroom_percent": "25"}
    response = client.post(url("deployment_resources", deployment.pk), data, **HTMX)
    assert response.status_code == 204
    assert response["HX-Location"] == url("deployment_resources", deployment.pk)
    deployment.refresh_from_db()
    assert (deployment.scheduler_replicas, deployment.triggerer_replicas, deployment.headroom_percent) == (3, 2, 25)
    assert deployment.status == Deployment.Status.DEPLOYING
    body = text(client.get(url("deployment_resources", deployment.pk)))
    assert "Resources saved. Deploying generation 2…" in body
    assert 'data-status="DEPLOYING"' in body
    assert "High availability" in body


def test_saving_unchanged_resources_says_so(login, tenancy, deployment):
    data = {name: str(getattr(deployment, name)) for name in RESOURCES}
    client = login(tenancy.owner)
    client.post(url("deployment_resources", deployment.pk), data)
    assert "Nothing changed." in text(client.get(url("deployment_resources", deployment.pk)))
    deployment.refresh_from_db()
    assert deployment.generation == 1


def test_task_pod_fields_are_saved_only_for_the_kubernetes_executor(login, tenancy, deployment):
    client = login(tenancy.owner)
    client.post(url("deployment_resources", deployment.pk), {**RESOURCES, "task_pod_cpu": "2", "max_task_pods": "99"})
    deployment.refresh_from_db()
    assert deployment.task_pod_cpu == 0.5 and deployment.max_task_pods == 16
    k8s = {**RESOURCES, "executor": catalog.Executor.KUBERNETES, "task_pod_cpu": "2", "max_task_pods": "99"}
    client.post(url("deployment_resources", deployment.pk), k8s)
    deployment.refresh_from_db()
    assert deployment.executor == catalog.Executor.KUBERNETES
    assert deployment.task_pod_cpu == 2 and deployment.max_task_pods == 99


def test_resources_page_labels_follow_the_airflow_version(login, tenancy):
    old = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, name="Legacy", airflow_version="2.11.0")
    new = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, name="Modern")
    client = login(tenancy.owner)
    assert "Webserver replicas" in text(client.get(url("deployment_resources", old.pk)))
    assert "API server replicas" in text(client.get(url("deployment_resources", new.pk)))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("scheduler_replicas", "0", "Scheduler replicas must be between 1 and 4."),
        ("scheduler_replicas", "5", "Scheduler replicas must be between 1 and 4."),
        ("scheduler_replicas", "two", "Enter a whole number for scheduler replicas."),
        ("scheduler_size", "HUGE", "Select a valid choice. HUGE is not one of the available choices."),
        ("triggerer_replicas", "3", "Triggerer replicas must be between 0 and 2."),
        ("api_server_replicas", "0", "API server replicas must be between 1 and 4."),
        ("headroom_percent", "500", "Extra quota headroom (%) must be between 0 and 200."),
        ("executor", "LocalExecutor", "Select a valid choice. LocalExecutor is not one of the available choices."),
    ],
)
def test_bad_resources_show_the_error_inline_and_save_nothing(login, tenancy, deployment, field, value, message):
    before = state()
    client = login(tenancy.owner)
    response = client.post(url("deployment_resources", deployment.pk), {**RESOURCES, field: value})
    assert response.status_code == 400
    assert message in text(response)
    htmx = client.post(url("deployment_resources", deployment.pk), {**RESOURCES, field: value}, **HTMX)
    body = text(htmx)
    assert body.lstrip().startswith('<form class="card mb-3" id="resources-form"')
    assert message in body
    assert f'value="{value}"' in body or value in ("HUGE", "LocalExecutor")  # what was typed stays
    assert state() == before


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("task_pod_cpu", "9", "Task pod CPU must be between 0.1 and 8, in hundredths."),
        ("task_pod_memory_mib", "64", "Task pod memory (MiB) must be between 128 and 32768."),
        ("max_task_pods", "0", "Maximum task pods must be between 1 and 256."),
    ],
)
def test_bad_task_pod_settings_show_the_error_inline(login, tenancy, deployment, field, value, message):
    before = state()
    data = {**RESOURCES, "executor": catalog.Executor.KUBERNETES, field: value}
    response = login(tenancy.owner).post(url("deployment_resources", deployment.pk), data)
    assert response.status_code == 400
    assert message in text(response)
    assert state() == before


def quota_cpu(response) -> str:
    return re.search(r'data-testid="quota-cpu">([^<]+)<', text(response)).group(1)


def quota_memory(response) -> str:
    return re.search(r'data-testid="quota-memory">([^<]+)<', text(response)).group(1)


def test_quota_preview_follows_the_inputs(login, tenancy, deployment):
    client = login(tenancy.owner)
    preview = url("deployment_quota", deployment.pk)
    one = client.post(preview, {**RESOURCES, "scheduler_replicas": "1"}, **HTMX)
    four = client.post(preview, {**RESOURCES, "scheduler_replicas": "4"}, **HTMX)
    large = client.post(preview, {**RESOURCES, "scheduler_replicas": "4", "scheduler_size": "LARGE"}, **HTMX)
    roomy = client.post(preview, {**RESOURCES, "scheduler_replicas": "4", "headroom_percent": "100"}, **HTMX)
    # Celery: scheduler 1 CPU + API server 1 + triggerer 0.5 + DAG processor 1 + statsd 0.1 + pgbouncer 0.25
    # + redis 0.5 + flower 0.25 + default queue 10 × 1 CPU = 14.6; then the rollout surge, a quarter of each
    # rolling component rounded up (not Redis, a StatefulSet): 1 + 1 + 0.5 + 1 + 0.1 + 0.25 + 0.25 + 3 × 1 = 7.1,
    # with the scheduler's surge pod 4 CPU once it is Large. The headroom applies to the components only. Every pod
    # that reads DAGs (scheduler, triggerer, DAG processor, workers) has its 0.05 CPU DAG sync sidecar on top:
    # 13 pods at full scale (0.65) and 6 surge pods (0.3) with one scheduler, 3 more pods with four.
    assert quota_cpu(one) == "22.7"
    assert quota_cpu(four) == "25.8"
    assert quota_cpu(large) == "40.8"
    assert quota_cpu(roomy) == "44.2"
    assert quota_memory(one) != quota_memory(four)
    assert re.search(r'id="quota-surge".*?Rollout surge</td>\s*<td class="text-end">10</td>', text(one), re.S)
    assert "Scheduler" in text(four) and ">4<" in text(four)
    assert 'id="ha-badge" hx-swap-oob="true"' in text(four) and "High availability" in text(four)
    assert "High availability" not in text(one)
    deployment.refresh_from_db()
    assert deployment.scheduler_replicas == 1  # a preview saves nothing


def test_quota_preview_switches_components_with_the_executor(login, tenancy, deployment):
    client = login(tenancy.owner)
    preview = url("deployment_quota", deployment.pk)
    k8s = text(client.post(preview, {**RESOURCES, "executor": catalog.Executor.KUBERNETES, "max_task_pods": "4"}))
    assert "Task pods" in k8s and "Redis" not in k8s and "Workers (default)" not in k8s
    celery = text(client.post(preview, RESOURCES))
    assert "Workers (default)" in celery and "Task pods" not in celery


def test_quota_preview_keeps_the_saved_value_for_an_invalid_field(login, tenancy, deployment):
    response = login(tenancy.owner).post(
        url("deployment_quota", deployment.pk), {**RESOURCES, "scheduler_replicas": "9"}
    )
    assert response.status_code == 200
    assert "Using the saved value for Scheduler replicas until it is valid." in text(response)
    assert quota_cpu(response) == "22.7"


def test_resources_form_refreshes_the_preview_as_the_user_types(login, tenancy, deployment):
    body = text(login(tenancy.owner).get(url("deployment_resources", deployment.pk)))
    assert f'hx-post="{url("deployment_quota", deployment.pk)}" hx-trigger="change, input delay:300ms"' in body
    assert 'id="quota-preview"' in body


# ------------------------------------------------------------------------------------------------ worker queues


def test_operator_adds_a_queue(login, tenancy, deployment, operator):
    data = {"name": "heavy-etl", "worker_type": "A20", "min_workers": "0", "max_workers": "4", "concurrency": ""}
    response = login(operator).post(url("queue_add", deployment.pk), data, **HTMX)
    assert response.status_code == 204
    added = deployment.queues.get(name="heavy-etl")
    assert (added.worker_type, added.min_workers, added.max_workers, added.concurrency) == ("A20", 0, 4, 20)
    body = text(login(operator).get(url("deployment_resources", deployment.pk)))
    assert "Worker queue “heavy-etl” added." in body
    assert "Workers (heavy-etl)" in body  # the quota counts it


@pytest.mark.parametrize(
    ("data", "field_message"),
    [
        ({"name": "ETL"}, "A queue name is 1-63 lowercase letters, digits and hyphens"),
        ({"name": "heavy_etl"}, "A queue name is 1-63 lowercase letters, digits and hyphens"),
        ({"name": "q" * 64}, "A queue name is 1-63 lowercase letters, digits and hyphens"),
        ({"name": ""}, "A queue name is 1-63 lowercase letters, digits and hyphens"),
        ({"name": "etl"}, "There is already a queue named “etl”."),
        ({"name": "default"}, "There is already a queue named “default”."),
        (
            {"name": "ok", "min_workers": "5", "max_workers": "2"},
            "Minimum workers cannot be more than maximum workers.",
        ),
        ({"name": "ok", "max_workers": "31"}, "Maximum workers must be between 1 and 30."),
        ({"name": "ok", "concurrency": "65"}, "Concurrency must be between 1 and 64."),
        ({"name": "ok", "worker_type": "A1000"}, "Select a valid choice. A1000 is not one of the available choices."),
    ],
)
def test_bad_queues_show_the_error_inline_and_save_nothing(login, tenancy, world, data, field_message):
    data = {"worker_type": "A5", "min_workers": "1", "max_workers": "3", "concurrency": "", **data}
    before = state()
    client = login(tenancy.owner)
    response = client.post(url("queue_add", world.pk), data)
    assert response.status_code == 400
    assert field_message in text(response)
    htmx = client.post(url("queue_add", world.pk), data, **HTMX)
    body = text(htmx)
    assert body.lstrip().startswith('<form class="card-body border-top" id="queue-add-form"')
    assert field_message in body
    assert f'value="{data["name"]}"' in body  # what was typed stays
    assert state() == before


def test_editing_a_queue_opens_an_inline_row_and_saves_it(login, tenancy, world, operator):
    client = login(operator)
    etl = queue(world)
    row = text(client.get(url("queue_edit", world.pk, etl.pk), **HTMX))
    assert row.lstrip().startswith(f'<tr id="queue-{etl.pk}"')
    assert f'form="queue-edit-{etl.pk}"' in row and f'id="id_edit_max_{etl.pk}" value="4"' in row
    cancel = text(client.get(url("queue_row", world.pk, etl.pk), **HTMX))
    assert cancel.lstrip().startswith(f'<tr id="queue-{etl.pk}">')
    data = {"worker_type": "A10", "min_workers": "2", "max_workers": "6", "concurrency": ""}
    response = client.post(url("queue_edit", world.pk, etl.pk), data, **HTMX)
    assert response.status_code == 204
    etl.refresh_from_db()
    assert (etl.worker_type, etl.min_workers, etl.max_workers, etl.concurrency) == ("A10", 2, 6, 10)


def test_a_queue_edit_page_works_without_htmx(login, tenancy, world):
    etl = queue(world)
    body = text(login(tenancy.owner).get(url("queue_edit", world.pk, etl.pk)))
    assert "<html" in body and f'id="queue-edit-{etl.pk}"' in body


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"min_workers": "7", "max_workers": "3"}, "Minimum workers cannot be more than maximum workers."),
        ({"min_workers": "-1"}, "Minimum workers must be between 0 and 30."),
        ({"max_workers": "0"}, "Maximum workers must be between 1 and 30."),
        ({"concurrency": "0"}, "Concurrency must be between 1 and 64."),
    ],
)
def test_bad_queue_edits_show_the_error_in_the_row(login, tenancy, world, data, message):
    etl = queue(world)
    data = {"worker_type": "A5", "min_workers": "1", "max_workers": "4", "concurrency": "", **data}
    before = state()
    client = login(tenancy.owner)
    assert client.post(url("queue_edit", world.pk, etl.pk), data).status_code == 400
    body = text(client.post(url("queue_edit", world.pk, etl.pk), data, **HTMX))
    assert body.lstrip().startswith(f'<tr id="queue-{etl.pk}"')
    assert message in body
    assert state() == before


def test_the_default_queue_cannot_be_deleted(login, tenancy, world):
    default = queue(world, "default")
    before = state()
    client = login(tenancy.owner)
    response = client.post(url("queue_delete", world.pk, default.pk))
    assert response.status_code == 400
    assert "The default queue is required and cannot be removed." in text(response)
    row = text(client.post(url("queue_delete", world.pk, default.pk), **HTMX))
    assert row.lstrip().startswith(f'<tr id="queue-{default.pk}">')
    assert "The default queue is required and cannot be removed." in row
    assert state() == before
    page = text(client.get(url("deployment_resources", world.pk)))
    assert url("queue_delete", world.pk, default.pk) not in page  # no button for it
    assert url("queue_delete", world.pk, queue(world).pk) in page


def test_kubernetes_deployments_have_no_queues(login, tenancy):
    k8s = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, name="Pods", executor="KubernetesExecutor")
    client = login(tenancy.owner)
    body = text(client.get(url("deployment_resources", k8s.pk)))
    assert "there are no worker queues" in body and 'id="queue-add-form"' not in body
    before = state()
    data = {"name": "extra", "worker_type": "A5", "min_workers": "1", "max_workers": "2"}
    response = client.post(url("queue_add", k8s.pk), data)
    assert response.status_code == 400
    assert "Worker queues belong to the Celery executor" in text(response)
    assert state() == before


# ---------------------------------------------------------------------------------------- environment variables


def test_operator_adds_a_plain_variable(login, tenancy, deployment, operator):
    response = login(operator).post(url("variable_add", deployment.pk), {"key": "DBT_TARGET", "value": "prod"}, **HTMX)
    assert response.status_code == 204
    assert response["HX-Location"] == url("deployment_variables", deployment.pk)
    assert variable(deployment, "DBT_TARGET").value == "prod"
    body = text(login(operator).get(url("deployment_variables", deployment.pk)))
    assert "DBT_TARGET" in body and "prod" in body
    assert "Variable DBT_TARGET added." in body


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("1ABC", "A variable name is letters, digits and underscores, not starting with a digit (at most 255)."),
        ("", "A variable name is letters, digits and underscores, not starting with a digit (at most 255)."),
        ("MY-VAR", "A variable name is letters, digits and underscores, not starting with a digit (at most 255)."),
        ("AIRFLOW__CORE__EXECUTOR", "AIRFLOW__CORE__EXECUTOR is set by Aerodrome itself and cannot be overridden."),
        ("airflow__core__fernet_key", "is set by Aerodrome itself and cannot be overridden."),
        ("REGION", "REGION is already set; edit it in the table instead."),
    ],
)
def test_bad_variable_keys_show_the_error_inline_and_save_nothing(login, tenancy, world, key, message):
    before = state()
    client = login(tenancy.owner)
    response = client.post(url("variable_add", world.pk), {"key": key, "value": "typed-value"})
    assert response.status_code == 400
    assert message in text(response)
    htmx = client.post(url("variable_add", world.pk), {"key": key, "value": "typed-value"}, **HTMX)
    body = text(htmx)
    assert body.lstrip().startswith('<form class="card" id="variable-add-form"')
    assert message in body
    assert 'value="typed-value"' in body  # a plain value typed in stays
    assert state() == before


def test_a_rejected_secret_is_not_sent_back(login, tenancy, deployment):
    response = login(tenancy.owner).post(
        url("variable_add", deployment.pk), {"key": "1BAD", "value": SECRET, "is_secret": "on"}, **HTMX
    )
    assert "A variable name is letters" in text(response)
    assert SECRET not in text(response)


def test_editing_a_plain_variable_inline(login, tenancy, world, operator):
    plain = variable(world)
    client = login(operator)
    row = text(client.get(url("variable_edit", world.pk, plain.pk), **HTMX))
    assert row.lstrip().startswith(f'<tr id="variable-{plain.pk}"')
    assert 'value="eu-west-1"' in row
    response = client.post(url("variable_edit", world.pk, plain.pk), {"value": "us-east-1"}, **HTMX)
    assert response.status_code == 204
    plain.refresh_from_db()
    assert plain.value == "us-east-1" and not plain.is_secret


def test_a_plain_variable_can_become_secret(login, tenancy, world):
    plain = variable(world)
    login(tenancy.owner).post(url("variable_edit", world.pk, plain.pk), {"value": "eu-west-1", "is_secret": "on"})
    plain.refresh_from_db()
    assert plain.is_secret and plain.value == "eu-west-1"
    body = text(login(tenancy.owner).get(url("deployment_variables", world.pk)))
    assert "eu-west-1" not in body


def test_editing_a_secret_with_a_blank_value_keeps_it(login, tenancy, world, operator):
    secret = variable(world, "API_TOKEN")
    client = login(operator)
    row = text(client.get(url("variable_edit", world.pk, secret.pk), **HTMX))
    assert 'placeholder="Leave blank to keep the secret value"' in row
    assert SECRET not in row
    assert re.search(r'name="value" value=""', row)
    since = last_audit_pk()
    response = client.post(url("variable_edit", world.pk, secret.pk), {"value": ""}, **HTMX)
    assert response.status_code == 204
    secret.refresh_from_db()
    assert secret.value == SECRET and secret.is_secret
    assert not AuditEvent.objects.filter(pk__gt=since).exists()  # nothing changed, nothing recorded

    response = client.post(url("variable_edit", world.pk, secret.pk), {"value": "rotated-value"}, **HTMX)
    assert response.status_code == 204
    secret.refresh_from_db()
    assert secret.value == "rotated-value" and secret.is_secret
    event = new_audit("deployment.variable_update", actor=operator, since=since)
    assert "rotated-value" not in str(event.changes)


def test_an_invalid_secret_edit_never_echoes_the_value(login, tenancy, world):
    secret = variable(world, "API_TOKEN")
    response = login(tenancy.owner).post(url("variable_edit", world.pk, secret.pk), {"value": "x" * 32769})
    assert response.status_code == 400
    assert "A value can be at most 32 KiB." in text(response)
    assert "x" * 100 not in text(response)


def test_deleting_a_variable(login, tenancy, world):
    plain = variable(world)
    response = login(tenancy.owner).post(url("variable_delete", world.pk, plain.pk), **HTMX)
    assert response.status_code == 204
    assert not world.variables.filter(key="REGION").exists()


def test_secret_values_never_appear_on_any_page(login, tenancy, deployment, operator):
    client = login(operator)
    client.post(url("variable_add", deployment.pk), {"key": "WAREHOUSE_PASSWORD", "value": SECRET, "is_secret": "on"})
    secret = variable(deployment, "WAREHOUSE_PASSWORD")
    assert secret.is_secret and secret.value == SECRET
    deployment.applied_manifest = "---\nkind: Secret\nstringData:\n  WAREHOUSE_PASSWORD: <redacted>\n"
    deployment.save(update_fields=["applied_manifest"])
    pages = [
        *deployment_pages(tenancy, deployment),
        url("variable_edit", deployment.pk, secret.pk),
        url("variable_row", deployment.pk, secret.pk),
        url("deployment_manifests", deployment.pk) + "?download=1",
        reverse("workspace_detail", args=["acme", tenancy.workspace.pk]),
    ]
    for persona in (operator, tenancy.owner, tenancy.member):
        client = login(persona)
        for page in pages:
            for headers in ({}, HTMX):
                response = client.get(page, **headers)
                if response.status_code == 403:
                    continue
                assert response.status_code in (200, 302), (page, response.status_code)
                assert SECRET not in response.content.decode(), page
    owner = login(tenancy.owner)
    assert SECRET not in owner.get(reverse("audit_log", args=["acme"])).content.decode()
    assert SECRET not in owner.post(url("deployment_quota", deployment.pk), RESOURCES).content.decode()
    listing = text(owner.get(url("deployment_variables", deployment.pk)))
    assert "WAREHOUSE_PASSWORD" in listing and "••••••" in listing and "ti-lock" in listing


# -------------------------------------------------------------------------------------------- events, manifests


def test_events_are_paginated_newest_first(login, tenancy, deployment):
    for n in range(30):
        DeploymentEvent.objects.create(
            deployment=deployment, reason=f"Step{n:02d}", message=f"Message {n}", generation=n, actor_label="bot"
        )
    DeploymentEvent.objects.create(
        deployment=deployment, reason="Failed", message="Forbidden", level=DeploymentEvent.Level.ERROR
    )
    client = login(tenancy.member)
    first = text(client.get(url("deployment_events", deployment.pk)))
    assert first.index("Failed") < first.index("Step29") < first.index("Step28")
    assert "bg-red-lt" in first and "Generation 29" in first
    assert "Step05" not in first
    assert "page=2" in first
    second = text(client.get(url("deployment_events", deployment.pk) + "?page=2"))
    assert "Step05" in second and "Created" in second and "Step29" not in second


def test_manifests_tab_shows_an_empty_state_until_something_is_applied(login, tenancy, deployment):
    client = login(tenancy.member)
    body = text(client.get(url("deployment_manifests", deployment.pk)))
    assert "Nothing has been applied yet" in body
    assert "Download YAML" not in body
    assert client.get(url("deployment_manifests", deployment.pk) + "?download=1").status_code == 404


def test_manifests_tab_shows_and_downloads_the_applied_yaml(login, tenancy, deployment):
    manifest = "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n---\napiVersion: v1\nkind: Secret\n"
    Deployment.objects.filter(pk=deployment.pk).update(applied_manifest=manifest, observed_generation=1)
    client = login(tenancy.member)
    body = text(client.get(url("deployment_manifests", deployment.pk)))
    assert "kind: Namespace" in body and "2 Kubernetes objects" in body
    assert "Download YAML" in body
    response = client.get(url("deployment_manifests", deployment.pk) + "?download=1")
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{deployment.release_name}.yaml"'
    assert response["Content-Type"].startswith("application/yaml")
    assert response.content.decode() == manifest


# ---------------------------------------------------------------------------------------------------- clusters


def test_cluster_list_shows_own_and_platform_clusters(login, tenancy, cluster):
    platform = make_cluster(name="shared-eu")
    make_cluster(organization=tenancy.other_org, name="globex-k8s")
    make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, cluster=cluster)
    body = text(login(tenancy.owner).get(url("cluster_list")))
    assert "eu-prod" in body and "shared-eu" in body and "globex-k8s" not in body
    assert "Platform</span>" in body
    assert "New cluster" in body
    assert url("cluster_update", cluster.pk) in body and url("cluster_test", cluster.pk) in body
    assert url("cluster_update", platform.pk) not in body  # platform clusters are read-only here
    assert "Never checked" in body


def test_member_sees_clusters_without_controls(login, tenancy, cluster):
    response = login(tenancy.member).get(url("cluster_list"))
    assert response.status_code == 200
    body = text(response)
    assert "eu-prod" in body
    assert "New cluster" not in body and "/edit/" not in body and "Test connection" not in body


def test_navbar_links_to_clusters(login, tenancy):
    body = text(login(tenancy.member).get(reverse("organization_home", args=["acme"])))
    assert url("cluster_list") in body


def test_owner_cannot_change_platform_clusters(login, tenancy):
    platform = make_cluster(name="shared-eu")
    client = login(tenancy.owner)
    before = state()
    assert client.get(url("cluster_update", platform.pk)).status_code == 403
    for name in ("cluster_update", "cluster_test", "cluster_delete"):
        assert client.post(url(name, platform.pk), {"name": "mine"}).status_code == 403, name
    assert state() == before


def test_owner_adds_a_cluster_whose_kubeconfig_is_never_shown_again(login, tenancy):
    client = login(tenancy.owner)
    kubeconfig = kubeconfig_for("https://k8s.acme.test:6443", name="acme-prod")
    data = {
        "name": "acme-prod",
        "auth": "KUBECONFIG",
        "kubeconfig": kubeconfig,
        "kubernetes_version": "1.33",
        "ingress_base_domain": "Airflow.Acme.test",
        "prometheus_url": "http://prometheus.monitoring:9090",
        "database_admin_url": "postgresql://admin:pg-pass-123@db.acme.test:5432/postgres",
    }
    response = client.post(url("cluster_create"), data, **HTMX)
    assert response.status_code == 204
    assert response["HX-Location"] == url("cluster_list")
    created = Cluster.objects.get(name="acme-prod")
    assert created.organization == tenancy.org
    assert created.ingress_base_domain == "airflow.acme.test"
    for page in (url("cluster_list"), url("cluster_update", created.pk)):
        body = client.get(page).content.decode()
        assert "k8s.acme.test" not in body and KUBECONFIG_TOKEN not in body
        assert "pg-pass-123" not in body
    edit = text(client.get(url("cluster_update", created.pk)))
    assert 'placeholder="Leave blank to keep the current kubeconfig"' in edit
    assert 'value="acme-prod"' in edit

    # Saving with the write-only boxes blank keeps what is stored.
    response = client.post(
        url("cluster_update", created.pk),
        {**data, "name": "acme-prod-eu", "kubeconfig": "", "database_admin_url": ""},
        **HTMX,
    )
    assert response.status_code == 204
    created.refresh_from_db()
    assert created.name == "acme-prod-eu"
    assert created.kubeconfig == kubeconfig
    assert created.database_admin_url == "postgresql://admin:pg-pass-123@db.acme.test:5432/postgres"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": ""}, "This field is required."),
        ({"name": "EU-PROD"}, "A cluster named “EU-PROD” already exists."),
        ({"kubeconfig": ""}, "Paste the kubeconfig Aerodrome should use for this cluster."),
        ({"kubeconfig": "just: text"}, "A kubeconfig needs clusters, contexts and users."),
        ({"kubeconfig": "{: bad"}, "This is not valid YAML"),
        ({"ingress_base_domain": "not a domain"}, "Enter a DNS domain such as airflow.example.com."),
        ({"prometheus_url": "ftp://x"}, "Enter a valid Prometheus URL (http or https)."),
        ({"database_admin_url": "mysql://x@y/z"}, "Enter a valid PostgreSQL URL (postgres or postgresql)."),
        ({"kubernetes_version": "1.12"}, "Select a valid choice. 1.12 is not one of the available choices."),
    ],
)
def test_bad_cluster_input_shows_the_error_inline(login, tenancy, cluster, data, message):
    data = {
        "name": "new-one",
        "auth": "KUBECONFIG",
        "kubeconfig": kubeconfig_for("http://127.0.0.1:1"),
        "kubernetes_version": "1.34",
        "ingress_base_domain": "airflow.acme.test",
        **data,
    }
    before = state()
    client = login(tenancy.owner)
    response = client.post(url("cluster_create"), data)
    assert response.status_code == 400
    assert message in text(response)
    htmx = text(client.post(url("cluster_create"), data, **HTMX))
    assert htmx.lstrip().startswith('<form class="card" id="cluster-form"')
    assert message in htmx
    assert KUBECONFIG_TOKEN not in htmx  # a typed kubeconfig is not sent back
    assert state() == before


def test_organisations_cannot_use_the_platforms_in_cluster_credentials(login, tenancy):
    data = {"name": "here", "auth": "IN_CLUSTER", "kubernetes_version": "1.34", "ingress_base_domain": "a.acme.test"}
    response = login(tenancy.owner).post(url("cluster_create"), data)
    assert response.status_code == 400
    assert "Only platform clusters can use in-cluster credentials" in text(response)
    assert not Cluster.objects.filter(name="here").exists()


def test_testing_a_connection_shows_the_outcome_on_the_row(login, tenancy, cluster):
    client = login(tenancy.owner)
    response = client.post(url("cluster_test", cluster.pk), **HTMX)
    assert response.status_code == 200
    row = text(response)
    assert row.lstrip().startswith(f'<tr id="cluster-{cluster.pk}" class="row-flash"')
    cluster.refresh_from_db()
    assert cluster.last_check_ok is False and cluster.last_checked_at
    assert cluster.last_check_message in row
    assert "text-red" in row
    plain = client.post(url("cluster_test", cluster.pk))
    assert plain.status_code == 302
    assert cluster.name in text(client.get(url("cluster_list")))


def test_test_connection_button_shows_an_indicator(login, tenancy, cluster):
    body = text(login(tenancy.owner).get(url("cluster_list")))
    assert "htmx-indicator" in body and 'hx-disabled-elt="find button"' in body


def test_a_cluster_in_use_cannot_be_deleted(login, tenancy, cluster):
    make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, cluster=cluster)
    before = state()
    client = login(tenancy.owner)
    response = client.post(url("cluster_delete", cluster.pk))
    assert response.status_code == 400
    assert "1 Deployment(s) still run on eu-prod; move or delete them first." in text(response)
    row = text(client.post(url("cluster_delete", cluster.pk), **HTMX))
    assert row.lstrip().startswith(f'<tr id="cluster-{cluster.pk}"')
    assert "still run on eu-prod" in row
    assert state() == before


def test_deleting_an_unused_cluster(login, tenancy, cluster):
    response = login(tenancy.owner).post(url("cluster_delete", cluster.pk), **HTMX)
    assert response.status_code == 204
    assert not Cluster.objects.filter(pk=cluster.pk).exists()


def test_a_deployment_on_a_platform_cluster_is_visible_only_to_its_organisation(login, tenancy):
    platform = make_cluster(name="shared-eu")
    WorkspaceFactory(organization=tenancy.other_org)
    deployment = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, cluster=platform)
    assert login(tenancy.outsider).get(url("deployment_overview", deployment.pk, org="globex")).status_code == 404
    body = text(login(tenancy.outsider).get(url("cluster_list", org="globex")))
    assert "shared-eu" in body
    assert "<td>0</td>" in body  # acme's Deployment is not counted for globex


def test_workspace_deployments_are_paginated_and_polling_keeps_the_page(login, tenancy):
    for i in range(27):
        make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, name=f"pipeline {i:02d}")
    deleted = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, name="pipeline 00 retired")
    Deployment.objects.filter(pk=deleted.pk).update(deleted_at=timezone.now())  # neither listed nor counted
    client = login(tenancy.owner)
    page_url = reverse("workspace_detail", args=["acme", tenancy.workspace.pk])

    first = client.get(page_url).content.decode()
    second = client.get(page_url + "?dpage=2").content.decode()

    assert first.count('<tr id="deployment-') == 25 and "Showing <strong>1–25</strong> of <strong>27</strong>" in first
    assert second.count('<tr id="deployment-') == 2 and "pipeline 26" in second and "pipeline 00" not in second
    assert "Showing <strong>26–27</strong> of <strong>27</strong>" in second
    assert "?dpage=2" in second  # the rows poll the page the user is on
    rows = client.get(url("workspace_deployments", tenancy.workspace.pk) + "?dpage=2", **HTMX).content.decode()
    assert rows.count('<tr id="deployment-') == 2

"""The Logs tab with the three personas: an owner and a read-only member read the logs, an outsider gets a 404.
What the tab shows: labelled lines with matches highlighted, restarts, starting pods, the empty states and an
unreachable cluster (never a 500), the tail from a cursor, and the download."""

import pytest
from django.urls import reverse

from deployments.tests.factories import make_cluster, make_deployment
from monitoring.tests.logs_world import add_pod, ago, airflow3_line

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def deployment(tenancy, kube):
    cluster = make_cluster(organization=tenancy.org, url=kube.url, name="acme-prod")
    return make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, cluster=cluster)


def url(name, deployment, slug="acme"):
    return reverse(name, args=[slug, deployment.pk])


NAMES = ["deployment_logs", "deployment_log_lines", "deployment_log_tail", "deployment_log_download"]


@pytest.mark.parametrize("name", NAMES)
def test_an_outsider_gets_a_404_even_in_their_own_organisation(tenancy, deployment, login, name):
    client = login(tenancy.outsider)

    assert client.get(url(name, deployment), **HTMX).status_code == 404
    assert client.get(url(name, deployment, slug="globex"), **HTMX).status_code == 404


@pytest.mark.parametrize("persona", ["owner", "member"])
def test_owner_and_read_only_member_read_the_merged_lines(tenancy, deployment, kube, login, persona):
    add_pod(kube, deployment, "scheduler", "a", [(ago(20), airflow3_line(ago(20), "ERROR", "Heartbeat <failed>"))])
    add_pod(kube, deployment, "worker", "b", [(ago(10), "heartbeat from the worker")], queue="default")
    client = login(getattr(tenancy, persona))

    page = client.get(url("deployment_logs", deployment))
    panel = client.get(url("deployment_log_lines", deployment), {"search": "HEARTBEAT"}, **HTMX)

    assert page.status_code == 200
    assert f'href="/orgs/acme/deployments/{deployment.pk}/logs/"' in page.content.decode()  # the tab
    html = panel.content.decode()
    assert panel.status_code == 200
    assert html.index("scheduler-a<span") < html.index("worker-default-b<span")
    assert "<mark>Heartbeat</mark> &lt;failed&gt;" in html  # highlighted, escaped
    assert "<mark>heartbeat</mark> from the worker" in html
    assert f'title="pod {deployment.release_name}-scheduler-a · container scheduler"' in html
    assert "2 lines from 2 pods" in html
    assert 'id="log-poller"' in html and "every 2s" in html


def test_the_tail_appends_only_newer_lines_and_moves_the_cursor(tenancy, deployment, kube, login):
    pod = add_pod(kube, deployment, "scheduler", "a", [(ago(20), "old line")])
    client = login(tenancy.member)
    panel = client.get(url("deployment_log_lines", deployment), **HTMX).content.decode()
    tail_url = panel.split('id="log-poller" hx-get="')[1].split('"')[0].replace("&amp;", "&")

    quiet = client.get(tail_url, **HTMX).content.decode()
    kube.append_log(deployment.namespace, pod, "scheduler", "fresh line")
    fresh = client.get(tail_url, **HTMX).content.decode()

    assert "old line" not in quiet and 'hx-swap-oob="beforeend:#log-lines"' not in quiet
    assert 'hx-swap-oob="beforeend:#log-lines"' in fresh and "fresh line" in fresh and "old line" not in fresh
    next_url = fresh.split('id="log-poller" hx-get="')[1].split('"')[0].replace("&amp;", "&")
    assert "fresh line" not in client.get(next_url, **HTMX).content.decode()


def test_a_restarted_container_links_to_its_previous_instance(tenancy, deployment, kube, login):
    add_pod(kube, deployment, "scheduler", "a", [(ago(5), "back up")], restart_count=2,
            previous_lines=[(ago(90), airflow3_line(ago(90), "CRITICAL", "Out of memory"))])  # fmt: skip
    client = login(tenancy.member)

    html = client.get(url("deployment_log_lines", deployment), **HTMX).content.decode()
    previous = client.get(url("deployment_log_lines", deployment), {"previous": "true"}, **HTMX).content.decode()

    assert "restarted 2 times" in html and 'data-testid="show-previous"' in html and "previous=true" in html
    assert "Out of memory" in previous and "back up" not in previous
    assert "previous instance's log of each container that restarted" in previous
    assert 'id="log-poller"' not in previous  # nothing new comes to a finished instance


def test_a_starting_pod_and_missing_components_are_said(tenancy, deployment, kube, login):
    add_pod(kube, deployment, "scheduler", "a", state="waiting", reason="ContainerCreating")
    client = login(tenancy.member)

    html = client.get(url("deployment_log_lines", deployment), {"components": "scheduler,flower"}, **HTMX)

    text = html.content.decode()
    assert "container scheduler is still starting (ContainerCreating)" in text
    assert "No pods of flower are running right now." in text


def test_no_pods_is_an_empty_state(tenancy, deployment, kube, login):
    html = login(tenancy.member).get(url("deployment_log_lines", deployment), **HTMX).content.decode()

    assert "No pods running" in html and "are running in the cluster right now" in html


def test_the_manifests_only_cluster_explains_why_there_are_no_logs(tenancy, login):
    deployment = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, name="Paper")

    html = login(tenancy.member).get(url("deployment_log_lines", deployment), **HTMX).content.decode()

    assert "No pods, so no logs" in html and "built-in manifests-only cluster" in html


def test_an_unreachable_cluster_is_a_message_not_a_500(tenancy, deployment, login, settings):
    settings.KUBE_BACKOFF_MS = 10
    deployment.cluster = make_cluster(organization=tenancy.org, name="gone")
    deployment.save()
    client = login(tenancy.member)

    panel = client.get(url("deployment_log_lines", deployment), **HTMX)
    cursorless_tail = client.get(url("deployment_log_tail", deployment), **HTMX)
    download = client.get(url("deployment_log_download", deployment))

    assert panel.status_code == 200
    assert "The cluster cannot be reached" in panel.content.decode()
    assert "The cluster gone cannot be reached" in panel.content.decode()
    assert cursorless_tail.status_code == 286  # htmx stops polling
    assert download.status_code == 503 and b"cannot be reached" in download.content


def test_bad_filters_are_explained_next_to_them(tenancy, deployment, login):
    response = login(tenancy.member).get(url("deployment_logs", deployment), {"level": "LOUD", "components": "x"})

    assert response.status_code == 400
    html = response.content.decode()
    assert "Give one of: DEBUG, INFO, WARNING, ERROR." in html and "Unknown components: x." in html


def test_download_is_the_filtered_result_as_text(tenancy, deployment, kube, login):
    pod = add_pod(kube, deployment, "scheduler", "a", [
        (ago(30), airflow3_line(ago(30), "INFO", "routine")),
        (ago(20), airflow3_line(ago(20), "ERROR", "Task failed")),
    ])  # fmt: skip

    response = login(tenancy.member).get(url("deployment_log_download", deployment), {"level": "ERROR"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="{deployment.release_name}-logs.txt"'
    [line] = response.content.decode().splitlines()
    assert line.endswith(f" {pod}/scheduler ERROR {{scheduler_job_runner.py:42}} Task failed")


def test_the_tail_keeps_the_filters(tenancy, deployment, kube, login):
    pod = add_pod(kube, deployment, "scheduler", "a", [(ago(20), airflow3_line(ago(20), "ERROR", "old error"))])
    client = login(tenancy.member)
    panel = client.get(url("deployment_log_lines", deployment), {"level": "ERROR"}, **HTMX).content.decode()
    tail_url = panel.split('id="log-poller" hx-get="')[1].split('"')[0].replace("&amp;", "&")

    kube.append_log(deployment.namespace, pod, "scheduler", airflow3_line(ago(0), "INFO", "routine"))
    kube.append_log(deployment.namespace, pod, "scheduler", airflow3_line(ago(0), "ERROR", "new error"))
    fresh = client.get(tail_url, **HTMX).content.decode()

    assert "new error" in fresh and "routine" not in fresh and "old error" not in fresh


def test_the_tail_says_the_cluster_is_unreachable_and_keeps_its_cursor(tenancy, deployment, kube, login, settings):
    add_pod(kube, deployment, "scheduler", "a", [(ago(20), "a line")])
    client = login(tenancy.member)
    panel = client.get(url("deployment_log_lines", deployment), **HTMX).content.decode()
    tail_url = panel.split('id="log-poller" hx-get="')[1].split('"')[0].replace("&amp;", "&")
    settings.KUBE_BACKOFF_MS = 10
    kube.fail_next(10, 503, path_contains="/pods")

    response = client.get(tail_url, **HTMX)

    html = response.content.decode()
    assert response.status_code == 200
    assert "Kubernetes API unavailable after 2 attempts: 503 Service Unavailable (trying again every 2 s)" in html
    assert tail_url.split("cursor=")[1] in html.replace("&amp;", "&")  # the next poll starts from the same place

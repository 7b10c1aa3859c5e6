"""GET /api/v1/deployments/{id}/logs/: structured lines and a cursor, as contracts.md fixes them, for whoever may see
the Deployment (its Deployment tokens too); another organisation's Deployment is a 404, an unreachable cluster a 503
in the error format, a bad filter a 400 naming it."""

import pytest
import yaml

from accounts.tests.api_helpers import api_client, assert_error
from accounts.tokens import services as tokens
from deployments.tests.factories import make_cluster, make_deployment
from monitoring.tests.logs_world import add_pod, ago, airflow3_line

pytestmark = pytest.mark.django_db


@pytest.fixture
def deployment(tenancy, kube):
    cluster = make_cluster(organization=tenancy.org, url=kube.url, name="acme-prod")
    return make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, cluster=cluster)


def logs_url(deployment):
    return f"/api/v1/deployments/{deployment.pk}/logs/"


def bearer(plaintext):
    client = api_client()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    return client


@pytest.mark.parametrize("persona", ["owner", "member"])
def test_owner_and_member_read_structured_lines(tenancy, deployment, kube, persona):
    pod = add_pod(kube, deployment, "scheduler", "a", [
        (ago(30), airflow3_line(ago(30), "INFO", "Heartbeat")),
        (ago(20), airflow3_line(ago(20), "ERROR", "Task failed")),
    ])  # fmt: skip
    add_pod(kube, deployment, "worker", "b", [(ago(25), "[2026-05-01T12:00:00.000+0000] {celery.py:9} WARNING - slow")],
            queue="default")  # fmt: skip

    response = api_client(getattr(tenancy, persona)).get(logs_url(deployment), {"level": "warning"})

    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"lines", "cursor", "notices"}
    assert [(line["component"], line["level"], line["message"]) for line in body["lines"]] == [
        ("worker-default", "WARNING", "slow"),
        ("scheduler", "ERROR", "Task failed"),
    ]
    failed = body["lines"][1]
    assert set(failed) == {"time", "component", "pod", "container", "level", "source", "message"}
    assert (failed["pod"], failed["container"], failed["source"]) == (pod, "scheduler", "scheduler_job_runner.py:42")
    assert failed["time"].endswith("Z") and "." in failed["time"]
    assert body["notices"] == ["No pods of api-server, triggerer and dag-processor are running right now."]


def test_the_cursor_gives_only_newer_lines(tenancy, deployment, kube):
    pod = add_pod(kube, deployment, "scheduler", "a", [(ago(30), "before")])
    client = api_client(tenancy.member)
    first = client.get(logs_url(deployment), {"components": "scheduler"}).json()

    kube.append_log(deployment.namespace, pod, "scheduler", "after")
    second = client.get(logs_url(deployment), {"components": "scheduler", "cursor": first["cursor"]}).json()

    assert [line["message"] for line in first["lines"]] == ["before"]
    assert [line["message"] for line in second["lines"]] == ["after"]
    assert second["cursor"] != first["cursor"]


def test_components_can_repeat_or_be_comma_separated(tenancy, deployment, kube):
    add_pod(kube, deployment, "redis", "0", [(ago(3), "1:M 01 May 2026 12:00:00.123 * Ready to accept connections")])
    add_pod(kube, deployment, "statsd", "s", [(ago(2), "ts=x level=info msg=up")])
    client = api_client(tenancy.member)

    repeated = client.get(f"{logs_url(deployment)}?components=redis&components=statsd").json()
    commas = client.get(logs_url(deployment), {"components": "redis,statsd"}).json()

    assert (
        [line["component"] for line in repeated["lines"]]
        == ["redis", "statsd"]
        == [line["component"] for line in commas["lines"]]
    )


def test_a_deployment_token_reads_its_deployments_logs_only(tenancy, deployment, kube):
    add_pod(kube, deployment, "scheduler", "a", [(ago(3), "hello")])
    other = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, name="Other")
    _, plaintext = tokens.token_create(actor=tenancy.owner, deployment=deployment, role="MEMBER", name="CI")
    client = bearer(plaintext)

    assert [line["message"] for line in client.get(logs_url(deployment)).json()["lines"]] == ["hello"]
    assert_error(client.get(logs_url(other)), 404, "not_found")


def test_another_organisations_deployment_is_a_404(tenancy, deployment, kube):
    add_pod(kube, deployment, "scheduler", "a", [(ago(3), "secret")])

    error = assert_error(api_client(tenancy.outsider).get(logs_url(deployment)), 404, "not_found")

    assert "secret" not in str(error)
    assert kube.log_requests == []


def test_anonymous_callers_are_refused(deployment):
    assert_error(api_client().get(logs_url(deployment)), 401)


def test_an_unreachable_cluster_is_a_503_in_the_error_format(tenancy, deployment, settings):
    settings.KUBE_BACKOFF_MS = 10
    deployment.cluster = make_cluster(organization=tenancy.org, name="gone")
    deployment.save()

    response = api_client(tenancy.member).get(logs_url(deployment))

    error = assert_error(response, 503, "cluster_unavailable")
    assert error["message"].startswith("The cluster gone cannot be reached:")
    assert response["Retry-After"] == "10"


def test_bad_filters_are_a_400_naming_each(tenancy, deployment):
    response = api_client(tenancy.member).get(
        logs_url(deployment), {"level": "LOUD", "since": "yesterday", "components": "nope", "cursor": "x"}
    )

    error = assert_error(response, 400, "invalid")
    assert set(error["fields"]) == {"level", "since", "components", "cursor"}


def test_the_manifests_only_cluster_answers_empty_with_a_notice(tenancy):
    deployment = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace, name="Paper")

    body = api_client(tenancy.member).get(logs_url(deployment)).json()

    assert body["lines"] == [] and body["cursor"]
    assert "manifests-only cluster" in body["notices"][0]


def test_the_schema_documents_one_log_page_not_a_list_of_them(tmp_path):
    """The endpoint answers one page (lines, cursor, notices): clients generated from the schema must expect it."""
    from django.core.management import call_command

    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--file", str(target))
    schema = yaml.safe_load(target.read_text())
    answer = schema["paths"]["/api/v1/deployments/{deployment_pk}/logs/"]["get"]["responses"]["200"]
    assert answer["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/LogPage"}

"""The alerts API: rules per Deployment and per workspace, alert history with filters and acknowledge, silences;
outsiders get 404, members 403 on writes, authors write, every write audited."""

import pytest

from accounts.models import AuditEvent
from accounts.tests.api_helpers import api_client, assert_field_error, assert_forbidden, assert_not_found
from monitoring.alerts import services
from monitoring.alerts.channels import services as channel_services
from monitoring.alerts.models import AlertRule
from monitoring.tests.alerts.factories import author, make_alert, monitored_deployment

pytestmark = pytest.mark.django_db


@pytest.fixture
def deployment(tenancy):
    return monitored_deployment(tenancy.owner, tenancy.workspace)


def rules_url(deployment):
    return f"/api/v1/deployments/{deployment.pk}/alert-rules/"


def test_an_author_creates_changes_and_removes_a_deployment_rule(tenancy, deployment):
    client = api_client(author(tenancy.workspace))
    slack = channel_services.channel_create(
        actor=tenancy.owner,
        workspace=tenancy.workspace,
        name="Oncall",
        kind="SLACK",
        url="https://hooks.slack.com/services/T/B/X",
    )
    answer = client.post(
        rules_url(deployment),
        {
            "name": "Slow tasks",
            "type": "TASK_DURATION",
            "threshold_seconds": 900,
            "task_patterns": ["load_*"],
            "severity": "CRITICAL",
            "channels": [slack.pk],
        },
        format="json",
    )
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["scope"] == "deployment" and body["deployment"] == deployment.pk
    assert body["task_patterns"] == ["load_*"] and body["channels"] == [slack.pk]
    url = f"{rules_url(deployment)}{body['id']}/"
    answer = client.patch(url, {"threshold_seconds": 1200}, format="json")
    assert answer.status_code == 200 and answer.json()["threshold_seconds"] == 1200
    assert client.delete(url).status_code == 204
    assert not AlertRule.objects.exists()
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"alert_rule.create", "alert_rule.update", "alert_rule.delete"} <= actions


def test_bad_rule_input_lists_every_invalid_field(tenancy, deployment):
    answer = api_client(tenancy.owner).post(
        rules_url(deployment),
        {"name": "Late", "type": "DAG_TIMELINESS", "deadline": "09:00", "dag_patterns": ["a b"]},
        format="json",
    )
    error = assert_field_error(answer, "deadline_days", "at least one day")
    assert {"lookback_minutes", "dag_patterns"} <= set(error["fields"])
    answer = api_client(tenancy.owner).post(
        rules_url(deployment), {"name": "x", "type": "DAG_FAILURE", "channels": [999999]}, format="json"
    )
    assert_field_error(answer, "channels", "Choose channels of this workspace.")


def test_a_workspace_rule_is_listed_on_each_deployment_and_changed_on_the_workspace(tenancy, deployment):
    client = api_client(tenancy.owner)
    answer = client.post(
        f"/api/v1/workspaces/{tenancy.workspace.pk}/alert-rules/",
        {"name": "Any DAG failed", "type": "DAG_FAILURE"},
        format="json",
    )
    assert answer.status_code == 201 and answer.json()["scope"] == "workspace"
    listed = client.get(rules_url(deployment)).json()["results"]
    assert [r["name"] for r in listed] == ["Any DAG failed"]
    # Not changeable through one Deployment: it belongs to all of them.
    assert_not_found(client.patch(f"{rules_url(deployment)}{listed[0]['id']}/", {"name": "x"}, format="json"))


def test_members_read_but_cannot_write_and_outsiders_see_nothing(tenancy, deployment):
    rule = services.rule_create(
        actor=tenancy.owner, workspace=tenancy.workspace, deployment=deployment, name="ETL", type="DAG_FAILURE"
    )
    member = api_client(tenancy.member)
    assert member.get(rules_url(deployment)).status_code == 200
    assert_forbidden(member.post(rules_url(deployment), {"name": "x", "type": "DAG_FAILURE"}, format="json"))
    assert_forbidden(member.delete(f"{rules_url(deployment)}{rule.pk}/"))
    outsider = api_client(tenancy.outsider)
    for url in (
        rules_url(deployment),
        f"/api/v1/deployments/{deployment.pk}/alerts/",
        f"/api/v1/deployments/{deployment.pk}/silences/",
        f"/api/v1/workspaces/{tenancy.workspace.pk}/alerts/",
    ):
        assert_not_found(outsider.get(url))


def test_alert_history_filters_and_acknowledge(tenancy, deployment):
    firing = make_alert(deployment, severity="CRITICAL")
    make_alert(deployment, severity="INFO", state="RESOLVED", rule_key="pod_quota", rule_name="Pods near the quota")
    client = api_client(tenancy.owner)
    url = f"/api/v1/deployments/{deployment.pk}/alerts/"
    assert [a["id"] for a in client.get(url, {"state": "firing"}).json()["results"]] == [firing.pk]
    assert [a["rule"] for a in client.get(url, {"rule": "pod_quota"}).json()["results"]] == ["pod_quota"]
    assert_field_error(client.get(url, {"severity": "LOUD"}), "severity")
    assert_field_error(client.get(url, {"since": "yesterday"}), "since")
    assert_forbidden(api_client(tenancy.member).post(f"{url}{firing.pk}/acknowledge/"))
    answer = client.post(f"{url}{firing.pk}/acknowledge/")
    assert answer.status_code == 200 and answer.json()["acknowledged_by"] == "owner@acme.test"
    workspace = client.get(f"/api/v1/workspaces/{tenancy.workspace.pk}/alerts/").json()["results"]
    assert len(workspace) == 2


def test_a_silence_needs_a_reachable_alertmanager(tenancy, deployment, settings):
    settings.ALERTMANAGER_TIMEOUT_SECONDS = 1
    url = f"/api/v1/deployments/{deployment.pk}/silences/"
    answer = api_client(tenancy.owner).post(url, {"comment": "Upgrade", "duration_minutes": 30}, format="json")
    assert_field_error(answer, "non_field_errors", "has no Alertmanager URL; its owners can set one.")
    answer = api_client(tenancy.owner).post(url, {"comment": "", "duration_minutes": 0}, format="json")
    error = assert_field_error(answer, "comment", "Say why")
    assert "duration_minutes" in error["fields"]


def test_cluster_alerting_settings_through_the_api(tenancy, deployment):
    client = api_client(tenancy.owner)
    url = f"/api/v1/clusters/{deployment.cluster_id}/"
    answer = client.patch(url, {"prometheus_rule_labels": "release = kps, team=data"}, format="json")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["prometheus_rule_labels"] == "release=kps,team=data" and body["has_alert_receiver_token"] is False
    assert_field_error(
        client.patch(url, {"prometheus_rule_labels": "not a label"}, format="json"),
        "prometheus_rule_labels",
        "is not a Kubernetes label",
    )
    assert_field_error(
        client.patch(url, {"alertmanager_url": "ftp://am"}, format="json"), "alertmanager_url", "Alertmanager URL"
    )
    answer = client.patch(url, {"alertmanager_url": "http://alertmanager.monitoring:9093"}, format="json")
    assert answer.json()["alertmanager_url"] == "http://alertmanager.monitoring:9093"

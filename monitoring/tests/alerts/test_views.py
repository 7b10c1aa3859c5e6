"""The alert pages with three personas: the owner manages, a read-only member sees (403 on writes), an outsider
gets 404 everywhere."""

import pytest

from monitoring.alerts import receiver
from monitoring.alerts.models import Alert, AlertRule, BuiltinRuleSetting, Silence
from monitoring.tests.alerts.factories import make_alert, monitored_deployment

pytestmark = pytest.mark.django_db


@pytest.fixture
def deployment(tenancy):
    return monitored_deployment(tenancy.owner, tenancy.workspace)


NIGHTLY_LATE = {  # a timeliness rule as the form posts it, without its days
    "name": "Nightly late",
    "type": "DAG_TIMELINESS",
    "severity": "WARNING",
    "dag_match": "IS",
    "dag_patterns": "nightly_*",
    "deadline": "06:00",
    "lookback_minutes": "600",
}


def pages(deployment):
    base = f"/orgs/acme/deployments/{deployment.pk}/alerts/"
    return [base, base + "rules/", base + "silences/", f"/orgs/acme/workspaces/{deployment.workspace_id}/alerts/"]


def test_members_see_every_alert_page_and_outsiders_get_404(login, tenancy, deployment):
    make_alert(deployment)
    for url in pages(deployment):
        assert login(tenancy.member).get(url).status_code == 200, url
    for url in pages(deployment):
        assert login(tenancy.outsider).get(url).status_code == 404, url


def test_a_member_cannot_write_anything(login, tenancy, deployment):
    alert = make_alert(deployment)
    client = login(tenancy.member)
    base = f"/orgs/acme/deployments/{deployment.pk}/alerts/"
    assert client.post(base + "rules/add/", {"name": "x", "type": "DAG_FAILURE"}).status_code == 403
    assert client.post(base + "rules/builtin/pod_quota/", {}).status_code == 403
    assert client.post(base + f"{alert.pk}/acknowledge/").status_code == 403
    assert client.post(base + "silences/new/", {"comment": "x", "duration_minutes": "60"}).status_code == 403
    assert not AlertRule.objects.exists() and not BuiltinRuleSetting.objects.exists()
    assert Alert.objects.get().acknowledged_at is None and not Silence.objects.exists()
    page = client.get(base + "rules/").content.decode()
    assert 'class="card sticky-lg" id="rule-form"' not in page
    assert "ti-hand-stop" not in client.get(base).content.decode()  # no Acknowledge button


def test_the_owner_adds_a_rule_from_the_page(login, tenancy, deployment):
    client = login(tenancy.owner)
    answer = client.post(
        f"/orgs/acme/deployments/{deployment.pk}/alerts/rules/add/",
        {**NIGHTLY_LATE, "deadline_days": ["1", "2", "3", "4", "5"], "scope": "deployment"},
        HTTP_HX_REQUEST="true",
    )
    assert answer.status_code == 204 and answer["HX-Location"].endswith("/alerts/rules/")
    rule = AlertRule.objects.get()
    assert (rule.deployment, rule.deadline.hour, rule.deadline_days) == (deployment, 6, [1, 2, 3, 4, 5])
    page = client.get(f"/orgs/acme/deployments/{deployment.pk}/alerts/rules/").content.decode()
    assert "Nightly late" in page and "nightly_*" in page


def test_a_deadline_without_days_is_refused_next_to_the_field_keeping_the_input(login, tenancy, deployment):
    answer = login(tenancy.owner).post(
        f"/orgs/acme/deployments/{deployment.pk}/alerts/rules/add/",
        NIGHTLY_LATE,
        HTTP_HX_REQUEST="true",
    )
    page = answer.content.decode()
    assert answer.status_code == 200 and 'id="rule-form"' in page
    assert "Choose at least one day on which the deadline applies." in page
    assert 'value="nightly_*"' in page and not AlertRule.objects.exists()


def test_turning_a_built_in_rule_off_from_the_page(login, tenancy, deployment):
    answer = login(tenancy.owner).post(
        f"/orgs/acme/deployments/{deployment.pk}/alerts/rules/builtin/pod_quota/", {}, HTTP_HX_REQUEST="true"
    )
    assert answer.status_code == 200 and "Applies with the next reconcile" in answer.content.decode()
    assert BuiltinRuleSetting.objects.get(deployment=deployment, key="pod_quota").enabled is False
    assert (
        login(tenancy.owner).post(f"/orgs/acme/deployments/{deployment.pk}/alerts/rules/builtin/nope/", {}).status_code
        == 404
    )


def test_acknowledging_records_who_and_when(login, tenancy, deployment):
    alert = make_alert(deployment)
    answer = login(tenancy.owner).post(
        f"/orgs/acme/deployments/{deployment.pk}/alerts/{alert.pk}/acknowledge/", HTTP_HX_REQUEST="true"
    )
    assert answer.status_code == 200 and "owner@acme.test" in answer.content.decode()
    alert.refresh_from_db()
    assert alert.acknowledged_by == tenancy.owner and alert.acknowledged_at is not None


def test_history_filters_by_state_severity_rule_and_time(login, tenancy, deployment):
    make_alert(deployment, summary="Firing one")
    make_alert(
        deployment,
        state=Alert.State.RESOLVED,
        severity="WARNING",
        summary="Resolved one",
        rule_key="pod_quota",
        rule_name="Pods near the quota",
    )
    client = login(tenancy.member)
    url = f"/orgs/acme/deployments/{deployment.pk}/alerts/"
    page = client.get(url, {"state": "FIRING"}).content.decode()
    assert "Firing one" in page and "Resolved one" not in page
    page = client.get(url, {"severity": "WARNING"}).content.decode()
    assert "Resolved one" in page and "Firing one" not in page
    page = client.get(url, {"rule": "pod_quota"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="alert-results")
    assert "Resolved one" in page.content.decode() and "<html" not in page.content.decode()
    page = client.get(url, {"since": "2000-01-02", "until": "2000-01-01"}).content.decode()
    assert "The end of the period comes before its start." in page


def test_the_workspace_page_shows_the_incidents_badge_and_the_workspace_history(login, tenancy, deployment):
    client = login(tenancy.member)
    page = client.get(f"/orgs/acme/workspaces/{tenancy.workspace.pk}/").content.decode()
    assert "No incidents" in page
    make_alert(deployment, summary="Heartbeat gone")
    page = client.get(f"/orgs/acme/workspaces/{tenancy.workspace.pk}/").content.decode()
    assert "1 incident" in page
    page = client.get(f"/orgs/acme/workspaces/{tenancy.workspace.pk}/alerts/").content.decode()
    assert "Heartbeat gone" in page and deployment.name in page


def test_a_silence_says_clearly_when_the_alertmanager_cannot_be_reached(login, tenancy, deployment, settings):
    settings.ALERTMANAGER_TIMEOUT_SECONDS = 1
    deployment.cluster.alertmanager_url = "http://127.0.0.1:9"  # nothing listens
    deployment.cluster.save()
    answer = login(tenancy.owner).post(
        f"/orgs/acme/deployments/{deployment.pk}/alerts/silences/new/",
        {"comment": "Upgrade", "length": "duration", "duration_minutes": "60"},
        HTTP_HX_REQUEST="true",
    )
    assert "cannot be reached" in answer.content.decode() and not Silence.objects.exists()


def test_a_silence_without_an_alertmanager_url_says_what_to_set(login, tenancy, deployment):
    answer = login(tenancy.owner).post(
        f"/orgs/acme/deployments/{deployment.pk}/alerts/silences/new/",
        {"comment": "Upgrade", "length": "duration", "duration_minutes": "60"},
    )
    assert answer.status_code == 400 and "has no Alertmanager URL" in answer.content.decode()


def test_the_cluster_page_shows_the_receiver_snippet_and_the_token_once(login, tenancy, deployment):
    cluster = deployment.cluster
    url = f"/orgs/acme/clusters/{cluster.pk}/alerting/"
    page = login(tenancy.owner).get(url).content.decode()
    assert "http://testserver/api/v1/alerts/alertmanager/" in page and "send_resolved: true" in page
    answer = login(tenancy.owner).post(url + "token/")
    token = answer.context["token"]
    assert token.startswith("aeram_") and token in answer.content.decode()
    assert receiver.cluster_for_token(token) == cluster
    assert token not in login(tenancy.owner).get(url).content.decode()  # shown once
    member = login(tenancy.member)
    assert member.get(url).status_code == 200 and "Rotate token" not in member.get(url).content.decode()
    assert member.post(url + "token/").status_code == 403
    assert login(tenancy.outsider).get(url).status_code == 404


def test_the_workspace_pages_badge_counts_firing_alerts_on_its_live_deployments_only(login, tenancy, deployment):
    from django.utils import timezone

    from accounts.tests.page_helpers import text

    make_alert(deployment)
    make_alert(deployment)
    make_alert(deployment, state=Alert.State.RESOLVED)
    deleted = monitored_deployment(tenancy.owner, tenancy.workspace, cluster=deployment.cluster, name="Retired")
    make_alert(deleted)
    type(deleted).objects.filter(pk=deleted.pk).update(deleted_at=timezone.now())
    elsewhere = monitored_deployment(tenancy.outsider, tenancy.other_workspace, name="Theirs")
    make_alert(elsewhere)
    page = text(login(tenancy.member).get(f"/orgs/acme/workspaces/{tenancy.workspace.pk}/"))
    assert "2 incidents" in page

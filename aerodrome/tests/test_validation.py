"""Names refuse control characters (Unicode category Cc: CR, LF, tab, escape, DEL, the C1 controls...), whatever
names them: organisations, workspaces, teams, Deployments, API tokens, worker queues, clusters."""

import pytest

from accounts.tests.api_helpers import api_client, assert_field_error
from accounts.tests.page_helpers import db_state, text
from deployments.tests.factories import kubeconfig_for, make_deployment

pytestmark = pytest.mark.django_db

# Inside the name: the API trims surrounding whitespace before any check, and a name's ends are trimmed anyway.
CONTROLS = {
    "CRLF": "Sales\r\nOps",
    "tab": "Sales\tOps",
    "escape": "Sales\x1b[31mOps",
    "delete": "Sales\x7fOps",
    "C1 next line": "Sales\x85Ops",
    "bell at the end": "Sales Ops\x07",
}
MESSAGE = "The name cannot contain control characters such as line breaks or tabs."


def creations(tenancy):
    """(URL, JSON body without the name, the field) of every API call that names something new."""
    deployment = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace)
    return {
        "organization": ("/api/v1/organizations/", {}, "name"),
        "workspace": ("/api/v1/workspaces/", {"organization": "acme"}, "name"),
        "team": ("/api/v1/organizations/acme/teams/", {}, "name"),
        "deployment": ("/api/v1/deployments/", {"workspace": tenancy.workspace.pk}, "name"),
        "token": ("/api/v1/tokens/", {"organization": "acme", "role": "MEMBER"}, "name"),
        "queue": (f"/api/v1/deployments/{deployment.pk}/queues/", {}, "name"),
        "cluster": (
            "/api/v1/clusters/",
            {"organization": "acme", "kubeconfig": kubeconfig_for("http://127.0.0.1:1"), "ingress_base_domain": "a.io"},
            "name",
        ),
    }


@pytest.mark.parametrize("control", CONTROLS)
def test_every_name_refuses_control_characters(tenancy, control):
    client = api_client(tenancy.owner)
    for what, (url, body, field) in creations(tenancy).items():
        before = db_state()
        response = client.post(url, {**body, field: CONTROLS[control]}, format="json")
        if what == "queue":  # a queue name is a Kubernetes label: its own, stricter rule says what is allowed
            assert_field_error(response, field, "lowercase letters, digits and hyphens")
        else:
            assert_field_error(response, field, MESSAGE)
        assert db_state() == before, what


def test_renaming_refuses_control_characters_too(tenancy):
    deployment = make_deployment(actor=tenancy.owner, workspace=tenancy.workspace)
    client = api_client(tenancy.owner)
    for url in (
        f"/api/v1/deployments/{deployment.pk}/",
        f"/api/v1/workspaces/{tenancy.workspace.pk}/",
        "/api/v1/organizations/acme/",
    ):
        assert_field_error(client.patch(url, {"name": "Sales\nOps"}, format="json"), "name", MESSAGE)


def test_a_page_shows_the_control_character_error_next_to_the_name(login, tenancy):
    before = db_state()
    response = login(tenancy.owner).post("/orgs/acme/workspaces/new/", {"name": "Sales\r\nOps", "description": ""})
    assert response.status_code == 400
    assert MESSAGE in text(response)
    assert db_state() == before

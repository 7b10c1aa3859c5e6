"""What the workspace page costs: its queries stay the same as the workspace's Deployments and the organisation's
people grow, a visit writes nothing, the member picker is a search, and rarely used forms load on demand."""

import re

import pytest
from django.db import connection
from django.db.models.signals import post_init
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import OrganizationMembership, User
from accounts.permissions import can
from accounts.roles import OrgRole, WorkspaceRole
from accounts.tests.factories import BindingFactory, MembershipFactory, UserFactory
from accounts.tests.page_helpers import HTMX, text
from deployments.models import Deployment, WorkerQueue
from workspaces.models import WorkspaceRoleBinding

pytestmark = pytest.mark.django_db


def detail_url(workspace, **query):
    url = reverse("workspace_detail", args=[workspace.organization.slug, workspace.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def candidates_url(workspace, q=""):
    return reverse("workspace_member_candidates", args=[workspace.organization.slug, workspace.pk]) + f"?q={q}"


def queries_of(client, url) -> list[str]:
    client.get(url)  # the first visit may remember the organisation in the session
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return [q["sql"] for q in captured.captured_queries]


def grow(workspace, n: int, start: int = 0) -> None:
    """n more Deployments in the workspace and n more people in its organisation."""
    people = User.objects.bulk_create(User(email=f"person{i}@acme.test") for i in range(start, start + n))
    OrganizationMembership.objects.bulk_create(
        OrganizationMembership(organization_id=workspace.organization_id, user=u) for u in people
    )
    deployments = Deployment.objects.bulk_create(
        Deployment(workspace=workspace, name=f"d{i}", release_name=f"rel-{i}", generated_secrets={"fernet_key": "x"})
        for i in range(start, start + n)
    )
    WorkerQueue.objects.bulk_create(WorkerQueue(deployment=d, name="default") for d in deployments)


def test_workspace_page_queries_stay_the_same_as_deployments_and_people_grow(login, tenancy):
    client = login(tenancy.owner)
    grow(tenancy.workspace, 3)
    few = queries_of(client, detail_url(tenancy.workspace))
    grow(tenancy.workspace, 60, start=3)
    many = queries_of(client, detail_url(tenancy.workspace))
    grow(tenancy.workspace, 120, start=63)
    more = queries_of(client, detail_url(tenancy.workspace))
    # The workspace comes with what the page counts (its Deployments, channels, firing alerts, whether anyone or any
    # team may still be added) in one query; then the rows of each list.
    assert len(few) == len(many) == len(more) <= 8, "\n".join(more)


def test_the_organisation_its_role_and_the_switcher_come_in_one_query(login, tenancy):
    sql = queries_of(login(tenancy.member), detail_url(tenancy.workspace))
    organisations = [q for q in sql if q.startswith('SELECT "accounts_organization"."id"')]
    assert len(organisations) == 1, organisations


def test_the_pages_queries_filter_on_the_ids_the_persons_roles_reach(login, tenancy):
    """The person's memberships and bindings are read once; the Deployment and workspace queries do not plan and
    run them again as subqueries."""
    grow(tenancy.workspace, 30)
    sql = queries_of(login(tenancy.member), detail_url(tenancy.workspace))
    scoped = [q for q in sql if 'FROM "deployments_deployment"' in q or 'FROM "workspaces_workspace"' in q]
    assert len(scoped) >= 2, sql  # the workspace (with its counts) and the Deployments card's rows
    # (The workspace's own counts read the organisation's memberships; none reads the person's.)
    person = re.compile(rf'"user_id" = {tenancy.member.pk}\b')
    assert not [q for q in scoped if person.search(q)], scoped
    assert "d1" in text(login(tenancy.member).get(detail_url(tenancy.workspace)))


def test_people_with_access_are_read_a_page_at_a_time(login, tenancy):
    """A workspace with many direct members loads the page of them it shows, not everyone sorted in Python."""
    client = login(tenancy.owner)
    people = User.objects.bulk_create(User(email=f"direct{i:03}@acme.test") for i in range(80))
    OrganizationMembership.objects.bulk_create(
        OrganizationMembership(organization_id=tenancy.workspace.organization_id, user=u) for u in people
    )
    WorkspaceRoleBinding.objects.bulk_create(
        WorkspaceRoleBinding(workspace=tenancy.workspace, user=u, role=WorkspaceRole.AUTHOR) for u in people
    )
    loaded = []
    post_init.connect(lambda sender, instance, **kw: loaded.append(instance), sender=User, weak=False)
    try:
        response = client.get(detail_url(tenancy.workspace, page=2))
    finally:
        post_init.disconnect(sender=User)
    rows = re.findall(r'<tr id="access-(\d+)"', response.content.decode())
    assert len(rows) == 25
    assert "direct025@acme.test" in response.content.decode()  # page 2, in address order
    assert len(loaded) < 40, f"{len(loaded)} people loaded to show 25"


def test_a_visit_does_not_write_the_session(login, tenancy):
    sql = queries_of(login(tenancy.owner), detail_url(tenancy.workspace))
    writes = [q for q in sql if "django_session" in q and not q.lstrip().upper().startswith("SELECT")]
    assert writes == []


def test_the_organisation_role_is_asked_once_per_page(login, tenancy):
    sql = queries_of(login(tenancy.owner), detail_url(tenancy.workspace))
    role_lookups = [
        q for q in sql if q.startswith('SELECT "accounts_organizationmembership"."role"') or '"actor_role"' in q
    ]
    assert len(role_lookups) == 1, role_lookups
    # ...and with the organisation itself, not in a query of its own.
    assert role_lookups[0].startswith('SELECT "accounts_organization"."id"'), role_lookups


def test_roles_remembered_in_a_request_are_forgotten_when_it_changes_them(tenancy):
    """Within one request a role is looked up once, but a change of role (a membership or binding saved or deleted)
    is seen by the next check of the same request."""
    from accounts.permissions import remembering_roles

    with remembering_roles():
        assert can(tenancy.member, "workspace.view", tenancy.workspace)
        assert not can(tenancy.member, "workspace.manage_members", tenancy.workspace)
        binding = WorkspaceRoleBinding.objects.get(workspace=tenancy.workspace, user=tenancy.member)
        binding.role = WorkspaceRole.OWNER
        binding.save()
        assert can(tenancy.member, "workspace.manage_members", tenancy.workspace)
        binding.delete()
        assert not can(tenancy.member, "workspace.view", tenancy.workspace)
        OrganizationMembership.objects.filter(user=tenancy.member).update(role=OrgRole.OWNER)  # no signal: ...
        OrganizationMembership.objects.get(user=tenancy.member).save()  # ... a save is what services do
        assert can(tenancy.member, "workspace.view", tenancy.workspace)


def test_the_member_picker_lists_nobody_until_searched(login, tenancy):
    grow(tenancy.workspace, 30)
    body = text(login(tenancy.owner).get(detail_url(tenancy.workspace)))
    assert "person7@acme.test" not in body
    assert 'id="add-member-form"' in body
    assert candidates_url(tenancy.workspace).split("?")[0] in body


def test_member_search_answers_a_few_matches_from_the_organisation_without_a_role_yet(login, tenancy):
    grow(tenancy.workspace, 30)
    BindingFactory(workspace=tenancy.workspace, user=User.objects.get(email="person12@acme.test"))
    body = text(login(tenancy.owner).get(candidates_url(tenancy.workspace, "person1"), **HTMX))
    shown = re.findall(r'data-pick-label="([^"]+)"', body)
    assert len(shown) == 8 and "more match" in body  # 10 match: 8 are shown, and a word that more do
    assert all(email.startswith("person1") for email in shown)
    assert "person12@acme.test" not in shown  # already has a direct role
    assert "outsider@globex.test" not in text(login(tenancy.owner).get(candidates_url(tenancy.workspace, "globex")))
    everyone = text(login(tenancy.owner).get(candidates_url(tenancy.workspace, "acme.test")))
    assert everyone.count("data-pick-id=") == 8
    assert "more match" in everyone


def test_member_search_needs_the_right_to_manage_members(login, tenancy):
    assert login(tenancy.member).get(candidates_url(tenancy.workspace, "a")).status_code == 403
    assert login(tenancy.outsider).get(candidates_url(tenancy.workspace, "a")).status_code == 404


@pytest.mark.parametrize(
    ("show", "form_id"), [("settings", "workspace-settings-form"), ("delete", "delete-workspace-form")]
)
def test_settings_and_delete_forms_load_on_demand(login, tenancy, show, form_id):
    client = login(tenancy.owner)
    body = text(client.get(detail_url(tenancy.workspace)))
    assert f'id="{form_id}"' not in body
    assert f'hx-get="{detail_url(tenancy.workspace, show=show)}"' in body
    part = text(client.get(detail_url(tenancy.workspace, show=show), **HTMX))
    assert part.lstrip().startswith("<form") and f'id="{form_id}"' in part and "<html" not in part
    # Without JavaScript the link opens the page with the form in place.
    assert f'id="{form_id}"' in text(client.get(detail_url(tenancy.workspace, show=show)))


@pytest.mark.parametrize("show", ["settings", "delete"])
def test_a_member_gets_no_settings_or_delete_form_on_demand(login, tenancy, show):
    client = login(tenancy.member)
    assert client.get(detail_url(tenancy.workspace, show=show), **HTMX).status_code == 403
    assert "workspace-settings-form" not in text(client.get(detail_url(tenancy.workspace, show=show)))


def test_the_member_form_posts_the_chosen_person(login, tenancy):
    """The picker posts the chosen person's id as before."""
    person = UserFactory(email="picked@acme.test")
    MembershipFactory(organization=tenancy.org, user=person)
    response = login(tenancy.owner).post(
        reverse("workspace_member_add", args=["acme", tenancy.workspace.pk]),
        {"user": person.pk, "role": WorkspaceRole.AUTHOR, "q": "pick"},
    )
    assert response.status_code == 302


def test_an_organisations_teams_add_no_query_or_row_to_the_workspace_page(login, tenancy):
    """The team picker lists no team up front (its search does): one team or sixty, the page is the same."""
    from accounts.models import Team

    client = login(tenancy.owner)
    Team.objects.create(organization=tenancy.org, name="Team 00")
    one = queries_of(client, detail_url(tenancy.workspace))
    Team.objects.bulk_create(Team(organization=tenancy.org, name=f"Team {i:02d}") for i in range(1, 60))
    sixty = queries_of(client, detail_url(tenancy.workspace))
    assert len(one) == len(sixty), "\n".join(sixty)
    assert "Team 00" not in text(client.get(detail_url(tenancy.workspace)))

"""Pages for organisations: home redirect, organisation list, members (role change, remove; people join by
invitation), and the organisation's settings (rename, leave)."""

import re

import pytest
from django.urls import reverse

from accounts.models import AuditEvent, Organization, OrganizationMembership, TeamMembership
from accounts.roles import OrgRole, WorkspaceRole
from accounts.tests.factories import (
    BindingFactory,
    MembershipFactory,
    OrganizationFactory,
    TeamFactory,
    TeamMembershipFactory,
    UserFactory,
)
from accounts.tests.page_helpers import HTMX, assert_audited, db_state, text
from workspaces.models import WorkspaceRoleBinding

pytestmark = pytest.mark.django_db


def membership(org, user) -> OrganizationMembership:
    return OrganizationMembership.objects.get(organization=org, user=user)


def login_redirect(url: str) -> str:
    return f"{reverse('account_login')}?next={url}"


# Every mutation endpoint of these pages, as (url name, extra url args, POST data). `pk` stands for the
# member's membership id in acme.
MUTATIONS = [
    ("organization_member_role", ("pk",), {"role": OrgRole.OWNER}),
    ("organization_member_remove", ("pk",), {}),
    ("organization_rename", (), {"name": "Renamed"}),
]


def mutation_url(tenancy, name, args):
    pk = membership(tenancy.org, tenancy.member).pk
    return reverse(name, args=[tenancy.org.slug, *(pk for _ in args)])


# Anonymous visitors


@pytest.mark.parametrize("name", ["home", "organization_list"])
def test_anonymous_user_is_redirected_to_login_from_account_pages(client, name):
    url = reverse(name)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == login_redirect(url)


@pytest.mark.parametrize("name", ["organization_members", "organization_settings"])
def test_anonymous_user_is_redirected_to_login_from_members_and_settings_pages(client, tenancy, name):
    url = reverse(name, args=["acme"])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == login_redirect(url)


@pytest.mark.parametrize(("name", "args", "data"), MUTATIONS + [("organization_leave", (), {})])
def test_anonymous_user_posting_is_redirected_to_login_and_nothing_changes(client, tenancy, name, args, data):
    before = db_state()
    url = mutation_url(tenancy, name, args)
    response = client.post(url, data)
    assert response.status_code == 302
    assert response["Location"] == login_redirect(url)
    assert db_state() == before


def test_anonymous_organisation_create_is_redirected_to_login(client, db):
    response = client.post(reverse("organization_list"), {"name": "Sneaky"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert not Organization.objects.exists()


# Home


def test_home_redirects_to_the_last_used_organisation(login, tenancy):
    other = OrganizationFactory(name="Zeta", slug="zeta")
    MembershipFactory(organization=other, user=tenancy.owner, role=OrgRole.MEMBER)
    client = login(tenancy.owner)
    assert client.get(reverse("organization_members", args=["zeta"])).status_code == 200
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("organization_home", args=["zeta"])


def test_home_redirects_to_the_first_organisation_when_none_was_used_yet(login, tenancy):
    other = OrganizationFactory(name="Zeta", slug="zeta")
    MembershipFactory(organization=other, user=tenancy.owner, role=OrgRole.MEMBER)
    response = login(tenancy.owner).get(reverse("home"))
    assert response["Location"] == reverse("organization_home", args=["acme"])


def test_home_ignores_a_last_used_organisation_the_user_no_longer_belongs_to(login, tenancy):
    client = login(tenancy.member)
    client.get(reverse("organization_home", args=["acme"]))
    other = OrganizationFactory(name="Zeta", slug="zeta")
    MembershipFactory(organization=other, user=tenancy.member)
    membership(tenancy.org, tenancy.member).delete()
    response = client.get(reverse("home"))
    assert response["Location"] == reverse("organization_home", args=["zeta"])


def test_home_redirects_to_the_organisation_list_when_the_user_has_none(login, db):
    response = login(UserFactory()).get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("organization_list")


# Organisation list and create


def test_organisation_list_shows_only_the_users_organisations(login, tenancy):
    response = login(tenancy.member).get(reverse("organization_list"))
    assert response.status_code == 200
    assert "Acme Data" in text(response)
    assert reverse("organization_home", args=["acme"]) in text(response)
    assert reverse("organization_home", args=["globex"]) not in text(response)


def test_organisation_list_invites_a_user_without_organisations_to_create_one(login, db):
    response = login(UserFactory()).get(reverse("organization_list"))
    assert response.status_code == 200
    assert "You are not in any organisation yet" in text(response)


def test_creating_an_organisation_makes_the_creator_its_owner(login, db):
    user = UserFactory()
    response = login(user).post(reverse("organization_list"), {"name": "  Initech  "})
    org = Organization.objects.get()
    assert org.name == "Initech"
    assert org.slug == "initech"
    assert response.status_code == 302
    assert response["Location"] == reverse("organization_home", args=["initech"])
    assert membership(org, user).role == OrgRole.OWNER
    assert_audited("organization.create", actor=user, organization=org)


def test_creating_an_organisation_with_a_taken_slug_gets_a_numbered_slug(login, tenancy):
    login(tenancy.outsider).post(reverse("organization_list"), {"name": "Acme"})
    assert Organization.objects.get(name="Acme").slug == "acme-2"


def test_creating_an_organisation_over_htmx_answers_204_with_hx_location(login, db):
    response = login(UserFactory()).post(reverse("organization_list"), {"name": "Initech"}, **HTMX)
    assert response.status_code == 204
    assert response["HX-Location"] == reverse("organization_home", args=["initech"])


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "This field is required."),
        ("   ", "This field is required."),
        ("x" * 101, "The name can be at most 100 characters long (it has 101)."),
    ],
)
def test_creating_an_organisation_with_a_bad_name_shows_the_error(login, db, name, message):
    response = login(UserFactory()).post(reverse("organization_list"), {"name": name})
    assert response.status_code == 400
    assert message in text(response)
    assert "<html" in text(response)
    assert not Organization.objects.exists()
    assert not AuditEvent.objects.exists()


def test_invalid_htmx_organisation_create_answers_with_only_the_form(login, db):
    response = login(UserFactory()).post(reverse("organization_list"), {"name": "x" * 101}, **HTMX)
    assert response.status_code == 200
    body = text(response)
    assert "<html" not in body
    assert body.lstrip().startswith('<form class="card" id="create-org-form"')
    assert "at most 100 characters" in body
    assert 'value="' + "x" * 101 + '"' in body  # keeps what the user typed
    assert not Organization.objects.exists()


# Members page


def test_owner_sees_members_with_the_management_forms(login, tenancy):
    response = login(tenancy.owner).get(reverse("organization_members", args=["acme"]))
    assert response.status_code == 200
    body = text(response)
    assert "owner@acme.test" in body and "member@acme.test" in body
    assert "outsider@globex.test" not in body
    assert 'id="invite-form"' in body
    assert 'id="org-rename-form"' not in body  # on the settings page
    assert reverse("organization_member_role", args=["acme", membership(tenancy.org, tenancy.member).pk]) in body


def test_member_sees_members_page_without_the_management_forms(login, tenancy):
    response = login(tenancy.member).get(reverse("organization_members", args=["acme"]))
    assert response.status_code == 200
    body = text(response)
    assert "owner@acme.test" in body and "member@acme.test" in body
    assert 'id="invite-form"' not in body
    assert 'id="org-rename-form"' not in body
    assert "/role/" not in body and "/remove/" not in body


def nav_links(body: str) -> list[str]:
    """The section links of the top navigation, in order."""
    start = body.index('id="navbar-menu"')
    nav = body[start : body.index("</header>", start)]
    return re.findall(r'<a class="nav-link" href="([^"]+)"', nav)


def test_members_and_settings_each_have_a_navigation_entry(login, tenancy):
    body = text(login(tenancy.member).get(reverse("organization_home", args=["acme"])))
    links = nav_links(body)
    assert reverse("organization_members", args=["acme"]) in links
    assert reverse("organization_settings", args=["acme"]) in links
    assert ">Members</a>" in body and ">Settings</a>" in body


def test_owner_sees_the_organisation_name_form_and_leave_on_the_settings_page(login, tenancy):
    response = login(tenancy.owner).get(reverse("organization_settings", args=["acme"]))
    assert response.status_code == 200
    body = text(response)
    assert "<title>Settings · Acme Data · Aerodrome</title>" in body
    assert 'id="org-rename-form"' in body and 'value="Acme Data"' in body
    assert reverse("organization_leave", args=["acme"]) in body
    assert 'id="members-table"' not in body  # on the members page


def test_member_can_leave_from_the_settings_page_but_not_rename(login, tenancy):
    response = login(tenancy.member).get(reverse("organization_settings", args=["acme"]))
    assert response.status_code == 200
    body = text(response)
    assert 'id="org-rename-form"' not in body
    assert reverse("organization_leave", args=["acme"]) in body


@pytest.mark.parametrize("name", ["organization_members", "organization_settings"])
def test_outsider_gets_404_on_another_organisations_members_and_settings_pages(login, tenancy, name):
    response = login(tenancy.outsider).get(reverse(name, args=["acme"]))
    assert response.status_code == 404


def test_unknown_organisation_is_404(login, tenancy):
    assert login(tenancy.owner).get(reverse("organization_members", args=["nope"])).status_code == 404


def test_members_page_paginates_by_25(login, tenancy):
    for n in range(30):
        MembershipFactory(organization=tenancy.org, user=UserFactory(email=f"zz{n:02d}@acme.test"))
    client = login(tenancy.owner)
    first = text(client.get(reverse("organization_members", args=["acme"])))
    assert "Showing <strong>1–25</strong> of <strong>32</strong>" in first
    assert "1 / 2" in first
    assert "zz29@acme.test" not in first
    second = client.get(reverse("organization_members", args=["acme"]), {"page": 2})
    assert second.status_code == 200
    body = text(second)
    assert "Showing <strong>26–32</strong> of <strong>32</strong>" in body
    assert "zz29@acme.test" in body
    assert "owner@acme.test" not in body


# Read-only member and outsider on every mutation


@pytest.mark.parametrize(("name", "args", "data"), MUTATIONS)
def test_member_cannot_manage_the_organisation(login, tenancy, name, args, data):
    UserFactory(email="new@acme.test")
    before = db_state()
    response = login(tenancy.member).post(mutation_url(tenancy, name, args), data)
    assert response.status_code == 403
    assert db_state() == before


@pytest.mark.parametrize(("name", "args", "data"), MUTATIONS + [("organization_leave", (), {})])
def test_outsider_gets_404_posting_to_another_organisation(login, tenancy, name, args, data):
    UserFactory(email="new@acme.test")
    before = db_state()
    response = login(tenancy.outsider).post(mutation_url(tenancy, name, args), data)
    assert response.status_code == 404
    assert db_state() == before


@pytest.mark.parametrize("name", ["organization_member_role", "organization_member_remove"])
def test_owner_gets_404_for_another_organisations_membership_under_their_own(login, tenancy, name):
    foreign = membership(tenancy.other_org, tenancy.outsider)
    before = db_state()
    response = login(tenancy.owner).post(reverse(name, args=["acme", foreign.pk]), {"role": OrgRole.MEMBER})
    assert response.status_code == 404
    assert db_state() == before


@pytest.mark.parametrize("name", ["organization_member_role", "organization_member_remove"])
def test_outsider_gets_404_for_an_acme_membership_under_their_own_organisation(login, tenancy, name):
    acme_membership = membership(tenancy.org, tenancy.member)
    before = db_state()
    response = login(tenancy.outsider).post(reverse(name, args=["globex", acme_membership.pk]), {"role": OrgRole.OWNER})
    assert response.status_code == 404
    assert db_state() == before


@pytest.mark.parametrize("name", ["organization_member_role", "organization_member_remove", "organization_rename"])
def test_get_on_a_post_only_endpoint_is_not_allowed(login, tenancy, name):
    args = ["acme"] + ([1] if name in ("organization_member_role", "organization_member_remove") else [])
    assert login(tenancy.owner).get(reverse(name, args=args)).status_code == 405


# Inline role change


def test_owner_can_promote_a_member_and_gets_the_updated_row(login, tenancy):
    m = membership(tenancy.org, tenancy.member)
    response = login(tenancy.owner).post(
        reverse("organization_member_role", args=["acme", m.pk]), {"role": OrgRole.OWNER}, **HTMX
    )
    assert response.status_code == 200
    body = text(response)
    assert "<html" not in body
    assert body.lstrip().startswith(f'<tr id="member-{m.pk}"')
    assert '<option value="OWNER" selected>Owner</option>' in body
    assert '<option value="MEMBER">Member</option>' in body
    assert "member@acme.test is now owner." in body
    m.refresh_from_db()
    assert m.role == OrgRole.OWNER
    event = assert_audited("organization.member_role_change", actor=tenancy.owner, organization=tenancy.org)
    assert event.changes == {"role": ["MEMBER", "OWNER"]}


def test_choosing_the_current_role_changes_nothing(login, tenancy):
    m = membership(tenancy.org, tenancy.member)
    before = db_state()
    response = login(tenancy.owner).post(
        reverse("organization_member_role", args=["acme", m.pk]), {"role": OrgRole.MEMBER}, **HTMX
    )
    assert response.status_code == 200
    assert db_state() == before


def test_owner_can_demote_another_owner(login, tenancy):
    m = membership(tenancy.org, tenancy.member)
    m.role = OrgRole.OWNER
    m.save()
    response = login(tenancy.owner).post(
        reverse("organization_member_role", args=["acme", m.pk]), {"role": OrgRole.MEMBER}, **HTMX
    )
    assert '<option value="MEMBER" selected>Member</option>' in text(response)
    m.refresh_from_db()
    assert m.role == OrgRole.MEMBER
    assert_audited("organization.member_role_change", actor=tenancy.owner, organization=tenancy.org)


@pytest.mark.parametrize(
    ("role", "message"),
    [
        ("ADMIN", "'ADMIN' is not a role here; choose one of: Member, Owner."),
        ("owner", "'owner' is not a role here; choose one of: Member, Owner."),
        ("", "Choose a role."),
    ],
)
def test_changing_to_an_unknown_role_shows_an_error_in_the_row(login, tenancy, role, message):
    m = membership(tenancy.org, tenancy.member)
    before = db_state()
    response = login(tenancy.owner).post(
        reverse("organization_member_role", args=["acme", m.pk]), {"role": role}, **HTMX
    )
    assert response.status_code == 200
    body = text(response)
    assert body.lstrip().startswith(f'<tr id="member-{m.pk}"')
    assert 'class="text-danger small mt-1"' in body
    assert message in body
    assert '<option value="MEMBER" selected>Member</option>' in body
    assert db_state() == before


def test_demoting_the_last_owner_is_refused(login, tenancy):
    m = membership(tenancy.org, tenancy.owner)
    before = db_state()
    response = login(tenancy.owner).post(
        reverse("organization_member_role", args=["acme", m.pk]), {"role": OrgRole.MEMBER}, **HTMX
    )
    assert response.status_code == 200
    body = text(response)
    assert "This is the organisation's last owner. Make someone else an owner first." in body
    assert '<option value="OWNER" selected>Owner</option>' in body
    assert db_state() == before


# Remove


def test_owner_can_remove_a_member_with_all_their_roles(login, tenancy):
    team = TeamFactory(organization=tenancy.org)
    TeamMembershipFactory(team=team, user=tenancy.member)
    other_team = TeamFactory(organization=tenancy.other_org)
    MembershipFactory(organization=tenancy.other_org, user=tenancy.member)
    TeamMembershipFactory(team=other_team, user=tenancy.member)
    BindingFactory(workspace=tenancy.other_workspace, user=tenancy.member)
    m = membership(tenancy.org, tenancy.member)

    response = login(tenancy.owner).post(reverse("organization_member_remove", args=["acme", m.pk]), follow=True)

    assert "member@acme.test was removed from Acme Data." in text(response)
    assert not OrganizationMembership.objects.filter(pk=m.pk).exists()
    assert not WorkspaceRoleBinding.objects.filter(workspace=tenancy.workspace, user=tenancy.member).exists()
    assert not TeamMembership.objects.filter(team=team).exists()
    # Their roles in another organisation stay.
    assert TeamMembership.objects.filter(team=other_team, user=tenancy.member).exists()
    assert WorkspaceRoleBinding.objects.filter(workspace=tenancy.other_workspace, user=tenancy.member).exists()
    event = assert_audited("organization.member_remove", actor=tenancy.owner, organization=tenancy.org)
    assert event.changes == {"role": ["MEMBER", None]}


def test_removing_a_member_over_htmx_answers_204_with_hx_location(login, tenancy):
    m = membership(tenancy.org, tenancy.member)
    response = login(tenancy.owner).post(reverse("organization_member_remove", args=["acme", m.pk]), **HTMX)
    assert response.status_code == 204
    assert response["HX-Location"] == reverse("organization_members", args=["acme"])
    assert not OrganizationMembership.objects.filter(pk=m.pk).exists()


def test_removing_the_last_owner_is_refused(login, tenancy):
    m = membership(tenancy.org, tenancy.owner)
    before = db_state()
    response = login(tenancy.owner).post(reverse("organization_member_remove", args=["acme", m.pk]), follow=True)
    assert response.status_code == 200
    assert "This is the organisation's last owner. Make someone else an owner first." in text(response)
    assert db_state() == before


# Rename


def test_owner_can_rename_the_organisation(login, tenancy):
    response = login(tenancy.owner).post(reverse("organization_rename", args=["acme"]), {"name": "Acme Analytics"})
    assert response.status_code == 302
    assert response["Location"] == reverse("organization_settings", args=["acme"])
    tenancy.org.refresh_from_db()
    assert tenancy.org.name == "Acme Analytics"
    assert tenancy.org.slug == "acme"
    event = assert_audited("organization.update", actor=tenancy.owner, organization=tenancy.org)
    assert event.changes == {"name": ["Acme Data", "Acme Analytics"]}


def test_renaming_over_htmx_answers_204_with_hx_location(login, tenancy):
    response = login(tenancy.owner).post(reverse("organization_rename", args=["acme"]), {"name": "Acme 2"}, **HTMX)
    assert response.status_code == 204
    assert response["HX-Location"] == reverse("organization_settings", args=["acme"])


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "This field is required."),
        ("x" * 101, "The name can be at most 100 characters long (it has 101)."),
        ("x" * 201, "Ensure this value has at most 200 characters (it has 201)."),
    ],
)
def test_renaming_to_a_bad_name_shows_the_error(login, tenancy, name, message):
    before = db_state()
    response = login(tenancy.owner).post(reverse("organization_rename", args=["acme"]), {"name": name})
    assert response.status_code == 400
    assert message in text(response)
    assert db_state() == before


def test_invalid_htmx_rename_answers_with_only_the_form(login, tenancy):
    response = login(tenancy.owner).post(reverse("organization_rename", args=["acme"]), {"name": "x" * 101}, **HTMX)
    assert response.status_code == 200
    body = text(response)
    assert "<html" not in body
    assert body.lstrip().startswith('<form class="card mb-3" id="org-rename-form"')
    assert "at most 100 characters" in body
    tenancy.org.refresh_from_db()
    assert tenancy.org.name == "Acme Data"


# Leave


def test_member_can_leave_the_organisation(login, tenancy):
    client = login(tenancy.member)
    response = client.post(reverse("organization_leave", args=["acme"]))
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert not OrganizationMembership.objects.filter(organization=tenancy.org, user=tenancy.member).exists()
    assert not WorkspaceRoleBinding.objects.filter(user=tenancy.member).exists()
    assert "last_org" not in client.session
    assert_audited("organization.leave", actor=tenancy.member, organization=tenancy.org)
    # With no organisation left, home leads to the organisation list, which says so.
    response = client.get(reverse("home"), follow=True)
    assert "You left Acme Data." in text(response)
    assert "You are not in any organisation yet" in text(response)
    assert client.get(reverse("organization_home", args=["acme"])).status_code == 404


def test_leaving_over_htmx_answers_204_with_hx_location(login, tenancy):
    response = login(tenancy.member).post(reverse("organization_leave", args=["acme"]), **HTMX)
    assert response.status_code == 204
    assert response["HX-Location"] == reverse("home")


def test_last_owner_cannot_leave(login, tenancy):
    before = db_state()
    response = login(tenancy.owner).post(reverse("organization_leave", args=["acme"]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("organization_settings", args=["acme"])
    assert "This is the organisation's last owner. Make someone else an owner first." in text(response)
    assert db_state() == before


def test_an_owner_can_leave_when_another_owner_remains(login, tenancy):
    MembershipFactory(organization=tenancy.org, user=UserFactory(), role=OrgRole.OWNER)
    login(tenancy.owner).post(reverse("organization_leave", args=["acme"]))
    assert not OrganizationMembership.objects.filter(organization=tenancy.org, user=tenancy.owner).exists()
    assert_audited("organization.leave", actor=tenancy.owner, organization=tenancy.org)


def test_team_role_ends_when_a_member_leaves(login, tenancy):
    team = TeamFactory(organization=tenancy.org)
    TeamMembershipFactory(team=team, user=tenancy.member)
    WorkspaceRoleBinding.objects.create(workspace=tenancy.workspace, team=team, role=WorkspaceRole.OWNER)
    login(tenancy.member).post(reverse("organization_leave", args=["acme"]))
    assert not TeamMembership.objects.filter(user=tenancy.member).exists()
    assert WorkspaceRoleBinding.objects.filter(team=team).exists()  # the team keeps its role

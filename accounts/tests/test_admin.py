import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import audit, services
from accounts.models import AuditEvent, Organization, OrganizationMembership, Team, TeamMembership, User
from accounts.roles import OrgRole, WorkspaceRole
from accounts.tests.admin_helpers import (
    action_data,
    admin_url,
    change_form_data,
    inline_index,
    inline_row,
    messages_of,
)
from accounts.tests.factories import (
    PASSWORD,
    BindingFactory,
    MembershipFactory,
    OrganizationFactory,
    TeamFactory,
    TeamMembershipFactory,
    UserFactory,
    WorkspaceFactory,
)
from workspaces.models import WorkspaceRoleBinding

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser(email="staff@aerodrome.test", password=PASSWORD)


@pytest.fixture
def staff(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def team(tenancy):
    team = TeamFactory(organization=tenancy.org, name="Data Engineering")
    TeamMembershipFactory(team=team, user=tenancy.member)
    return team


@pytest.fixture
def trail(tenancy):
    """An audit entry with a change in it, written the way the pages write them."""
    services.organization_update(actor=tenancy.owner, organization=tenancy.org, name="Acme Data Inc")
    return AuditEvent.objects.get(action="organization.update")


def owner_membership(tenancy):
    return OrganizationMembership.objects.get(organization=tenancy.org, user=tenancy.owner)


def member_membership(tenancy):
    return OrganizationMembership.objects.get(organization=tenancy.org, user=tenancy.member)


# --- Who gets in -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/admin/", "/admin/accounts/organization/", "/admin/accounts/auditevent/"])
def test_non_staff_user_is_redirected_to_the_admin_login(client, tenancy, url):
    client.force_login(tenancy.owner)
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith("/admin/login/")


def test_superuser_sees_every_model_on_the_index(staff):
    response = staff.get("/admin/")
    assert response.status_code == 200
    for model in (User, Organization, OrganizationMembership, Team, TeamMembership, AuditEvent):
        assert admin_url(model) in response.content.decode()


# --- Pages load, with search and filters -----------------------------------------------------------------------


def searches(tenancy, team):
    return [
        (User, {"q": "owner@acme", "is_staff__exact": "0", "in_organization": "yes"}),
        (Organization, {"q": "acme", "has_owner": "yes"}),
        (Organization, {"q": "member@acme.test"}),  # search by a member's email
        (OrganizationMembership, {"q": "acme", "role__exact": "OWNER", "organization__id__exact": tenancy.org.pk}),
        (Team, {"q": "data", "organization__id__exact": tenancy.org.pk}),
        (TeamMembership, {"q": "member@acme", "team__organization__id__exact": tenancy.org.pk}),
        (
            AuditEvent,
            {"q": "owner@acme", "action__exact": "organization.update", "organization__id__exact": tenancy.org.pk},
        ),
    ]


def test_every_changelist_loads_with_a_search_and_filters_applied(staff, tenancy, team, trail):
    for model, params in searches(tenancy, team):
        response = staff.get(admin_url(model), params)
        assert response.status_code == 200, (model, params)  # a rejected lookup redirects with ?e=1
        assert response.context["cl"].result_count == 1, (model, params)


def test_every_changelist_add_page_and_change_page_loads(staff, tenancy, team, trail):
    objects = [
        tenancy.owner,
        tenancy.org,
        owner_membership(tenancy),
        team,
        TeamMembership.objects.get(team=team),
        trail,
    ]
    for obj in objects:
        model = type(obj)
        assert staff.get(admin_url(model)).status_code == 200, model
        assert staff.get(admin_url(model, "change", obj.pk)).status_code == 200, model
        if model is not AuditEvent:
            assert staff.get(admin_url(model, "add")).status_code == 200, model


def test_organisation_list_shows_owners_and_counts(staff, tenancy, team):
    response = staff.get(admin_url(Organization))
    row = next(o for o in response.context["cl"].result_list if o.pk == tenancy.org.pk)
    assert (row.member_count, row.workspace_count, row.team_count) == (2, 1, 1)
    assert "owner@acme.test" in response.content.decode()


def test_user_list_counts_organisations(staff, tenancy):
    MembershipFactory(organization=tenancy.other_org, user=tenancy.owner)
    response = staff.get(admin_url(User), {"q": "owner@acme.test"})
    assert [u.organization_count for u in response.context["cl"].result_list] == [2]


# --- No query per row ------------------------------------------------------------------------------------------


def _user_rows(n):
    for _ in range(n):
        MembershipFactory(user=UserFactory())


def _organization_rows(n):
    for _ in range(n):
        org = OrganizationFactory()
        MembershipFactory(organization=org, role=OrgRole.OWNER)
        MembershipFactory(organization=org)
        TeamFactory(organization=org)
        WorkspaceFactory(organization=org)


def _membership_rows(n):
    MembershipFactory.create_batch(n)


def _team_rows(n):
    for _ in range(n):
        TeamMembershipFactory(team=TeamFactory())


def _team_membership_rows(n):
    TeamMembershipFactory.create_batch(n)


def _audit_rows(n):
    for _ in range(n):
        org = OrganizationFactory()
        audit.record(actor=UserFactory(), action="organization.update", target=org, organization=org, changes={"a": 1})


@pytest.mark.parametrize(
    ("model", "make_rows"),
    [
        (User, _user_rows),
        (Organization, _organization_rows),
        (OrganizationMembership, _membership_rows),
        (Team, _team_rows),
        (TeamMembership, _team_membership_rows),
        (AuditEvent, _audit_rows),
    ],
)
def test_changelist_query_count_does_not_grow_with_rows(staff, django_assert_max_num_queries, model, make_rows):
    make_rows(3)
    staff.get(admin_url(model))  # warm per-process caches (content types, site) out of the measurement
    with CaptureQueriesContext(connection) as three_rows:
        response = staff.get(admin_url(model))
    assert response.context["cl"].result_count >= 3
    make_rows(27)
    with django_assert_max_num_queries(len(three_rows)):
        response = staff.get(admin_url(model))
    assert response.context["cl"].result_count >= 30


# --- The audit trail is read-only ------------------------------------------------------------------------------


def test_audit_events_cannot_be_added_changed_or_deleted(staff, superuser, trail, rf):
    before = list(AuditEvent.objects.values())
    assert staff.get(admin_url(AuditEvent, "add")).status_code == 403
    assert staff.post(admin_url(AuditEvent, "add"), {"action": "forged"}).status_code == 403
    assert staff.post(admin_url(AuditEvent, "change", trail.pk), {"action": "forged"}).status_code == 403
    assert staff.get(admin_url(AuditEvent, "delete", trail.pk)).status_code == 403
    assert staff.post(admin_url(AuditEvent, "delete", trail.pk), {"post": "yes"}).status_code == 403
    staff.post(admin_url(AuditEvent), action_data("delete_selected", trail, post="yes"))
    assert list(AuditEvent.objects.values()) == before

    from django.contrib import admin

    request = rf.get("/admin/")
    request.user = superuser
    model_admin = admin.site.get_model_admin(AuditEvent)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, trail)
    assert not model_admin.has_delete_permission(request, trail)
    assert model_admin.get_actions(request) == {}


def test_audit_event_page_shows_its_changes(staff, trail):
    response = staff.get(admin_url(AuditEvent, "change", trail.pk))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Acme Data → Acme Data Inc" in page
    assert "<pre>" in page and "&quot;name&quot;" in page
    assert 'name="_save"' not in page  # view only


# --- Organisation memberships: actions and the last-owner rule -------------------------------------------------


def test_make_owner_action_goes_through_the_service_and_is_audited(staff, tenancy, audit_count):
    membership = member_membership(tenancy)
    response = staff.post(admin_url(OrganizationMembership), action_data("make_owner", membership), follow=True)
    membership.refresh_from_db()
    assert membership.role == OrgRole.OWNER
    assert audit_count("organization.member_role_change") == 1
    event = AuditEvent.objects.get(action="organization.member_role_change")
    assert event.changes == {"role": ["MEMBER", "OWNER"]} and event.organization == tenancy.org
    assert ("success", "Made 1 organization membership owner.") in messages_of(response)


def test_make_member_action_demotes_an_owner_when_another_owner_remains(staff, tenancy, audit_count):
    second = UserFactory()
    MembershipFactory(organization=tenancy.org, user=second, role=OrgRole.OWNER)
    staff.post(admin_url(OrganizationMembership), action_data("make_member", owner_membership(tenancy)))
    assert owner_membership(tenancy).role == OrgRole.MEMBER
    assert audit_count("organization.member_role_change") == 1


def test_make_member_action_refuses_the_last_owner_with_an_error_message(staff, tenancy, audit_count):
    response = staff.post(
        admin_url(OrganizationMembership), action_data("make_member", owner_membership(tenancy)), follow=True
    )
    assert response.status_code == 200
    assert owner_membership(tenancy).role == OrgRole.OWNER
    assert audit_count("organization.member_role_change") == 0
    [(level, text)] = messages_of(response)
    assert level == "error" and "last owner" in text


def test_make_owner_action_works_from_the_membership_page(staff, tenancy, audit_count):
    membership = member_membership(tenancy)
    url = admin_url(OrganizationMembership, "change", membership.pk)
    staff.post(url, {"CHANGE_FORM-action": "make_owner", "_selected_action": membership.pk, "index": "0"})
    membership.refresh_from_db()
    assert membership.role == OrgRole.OWNER
    assert audit_count("organization.member_role_change") == 1


def test_demoting_the_last_owner_on_the_organisation_page_is_refused(staff, tenancy, audit_count):
    url = admin_url(Organization, "change", tenancy.org.pk)
    data = change_form_data(staff.get(url))
    data[f"memberships-{inline_index(data, 'memberships', owner_membership(tenancy).pk)}-role"] = OrgRole.MEMBER
    response = staff.post(url, data)
    assert response.status_code == 200  # the form again, with the error
    assert "must keep at least one owner" in response.content.decode()
    assert owner_membership(tenancy).role == OrgRole.OWNER
    assert audit_count("organization.member_role_change") == 0


def test_removing_the_last_owner_on_the_organisation_page_is_refused(staff, tenancy):
    url = admin_url(Organization, "change", tenancy.org.pk)
    data = change_form_data(staff.get(url))
    data[f"memberships-{inline_index(data, 'memberships', owner_membership(tenancy).pk)}-DELETE"] = "on"
    response = staff.post(url, data)
    assert "must keep at least one owner" in response.content.decode()
    assert OrganizationMembership.objects.filter(pk=owner_membership(tenancy).pk).exists()


def test_owner_and_member_can_swap_roles_in_one_save(staff, tenancy, audit_count):
    url = admin_url(Organization, "change", tenancy.org.pk)
    data = change_form_data(staff.get(url))
    data[f"memberships-{inline_index(data, 'memberships', owner_membership(tenancy).pk)}-role"] = OrgRole.MEMBER
    data[f"memberships-{inline_index(data, 'memberships', member_membership(tenancy).pk)}-role"] = OrgRole.OWNER
    assert staff.post(url, data).status_code == 302
    assert owner_membership(tenancy).role == OrgRole.MEMBER
    assert member_membership(tenancy).role == OrgRole.OWNER
    assert audit_count("organization.member_role_change") == 2


def test_demoting_the_last_owner_on_the_membership_page_is_refused(staff, tenancy, audit_count):
    membership = owner_membership(tenancy)
    url = admin_url(OrganizationMembership, "change", membership.pk)
    data = change_form_data(staff.get(url))
    data["role"] = OrgRole.MEMBER
    response = staff.post(url, data)
    assert response.status_code == 200
    assert "last owner" in response.content.decode()
    assert owner_membership(tenancy).role == OrgRole.OWNER
    assert audit_count("organization.member_role_change") == 0


def test_changing_a_role_on_the_membership_page_is_audited(staff, tenancy, audit_count):
    membership = member_membership(tenancy)
    url = admin_url(OrganizationMembership, "change", membership.pk)
    data = change_form_data(staff.get(url))
    data["role"] = OrgRole.OWNER
    assert staff.post(url, data).status_code == 302
    assert member_membership(tenancy).role == OrgRole.OWNER
    assert audit_count("organization.member_role_change") == 1


def test_deleting_the_last_owners_membership_is_refused(staff, tenancy, audit_count):
    membership = owner_membership(tenancy)
    response = staff.post(admin_url(OrganizationMembership, "delete", membership.pk), {"post": "yes"}, follow=True)
    assert OrganizationMembership.objects.filter(pk=membership.pk).exists()
    assert any(level == "error" and "without an owner" in text for level, text in messages_of(response))

    response = staff.post(
        admin_url(OrganizationMembership), action_data("delete_selected", membership, post="yes"), follow=True
    )
    assert OrganizationMembership.objects.filter(pk=membership.pk).exists()
    assert any(level == "error" and "without an owner" in text for level, text in messages_of(response))
    assert audit_count("organization.member_remove") == 0


def test_deleting_a_membership_goes_through_the_service(staff, tenancy, audit_count):
    membership = member_membership(tenancy)
    staff.post(admin_url(OrganizationMembership), action_data("delete_selected", membership, post="yes"))
    assert not OrganizationMembership.objects.filter(pk=membership.pk).exists()
    assert audit_count("organization.member_remove") == 1
    # as on the pages, leaving the organisation ends the person's workspace roles in it
    assert not WorkspaceRoleBinding.objects.filter(user=tenancy.member).exists()


def test_adding_a_membership_on_its_own_page_is_audited(staff, tenancy, audit_count):
    newcomer = UserFactory()
    response = staff.post(
        admin_url(OrganizationMembership, "add"),
        {"organization": tenancy.org.pk, "user": newcomer.pk, "role": OrgRole.MEMBER},
    )
    assert response.status_code == 302
    assert OrganizationMembership.objects.filter(organization=tenancy.org, user=newcomer).exists()
    assert audit_count("organization.member_add") == 1


# --- Organisations ---------------------------------------------------------------------------------------------


def test_renaming_an_organisation_goes_through_the_service(staff, tenancy, audit_count):
    url = admin_url(Organization, "change", tenancy.org.pk)
    data = change_form_data(staff.get(url))
    data["name"] = "Acme Analytics"
    assert staff.post(url, data).status_code == 302
    tenancy.org.refresh_from_db()
    assert tenancy.org.name == "Acme Analytics"
    event = AuditEvent.objects.get(action="organization.update")
    assert event.changes == {"name": ["Acme Data", "Acme Analytics"]}
    assert event.actor.email == "staff@aerodrome.test"
    assert event.ip_address == "127.0.0.1"


def test_changing_an_organisation_slug_is_audited(staff, tenancy):
    url = admin_url(Organization, "change", tenancy.org.pk)
    data = change_form_data(staff.get(url))
    data["slug"] = "acme-data"
    assert staff.post(url, data).status_code == 302
    event = AuditEvent.objects.get(action="organization.update")
    assert event.changes == {"slug": ["acme", "acme-data"]}


def test_adding_and_removing_members_on_the_organisation_page(staff, tenancy, audit_count):
    newcomer = UserFactory()
    url = admin_url(Organization, "change", tenancy.org.pk)
    data = change_form_data(staff.get(url))
    inline_row(data, "memberships", user=newcomer.pk, role=OrgRole.MEMBER)
    data[f"memberships-{inline_index(data, 'memberships', member_membership(tenancy).pk)}-DELETE"] = "on"
    assert staff.post(url, data).status_code == 302
    assert set(tenancy.org.members.all()) == {tenancy.owner, newcomer}
    assert audit_count("organization.member_add") == 1
    assert audit_count("organization.member_remove") == 1


def test_a_deactivated_user_cannot_be_added_as_a_member(staff, tenancy):
    sleeper = UserFactory(is_active=False)
    url = admin_url(Organization, "change", tenancy.org.pk)
    data = inline_row(change_form_data(staff.get(url)), "memberships", user=sleeper.pk, role=OrgRole.MEMBER)
    response = staff.post(url, data)
    assert response.status_code == 200
    assert "is deactivated" in response.content.decode()
    assert not tenancy.org.members.filter(pk=sleeper.pk).exists()


def test_creating_an_organisation_needs_an_owner_and_is_audited(staff, tenancy, audit_count):
    url = admin_url(Organization, "add")
    data = change_form_data(staff.get(url))
    data.update(name="Initech", slug="initech")
    response = staff.post(url, data)
    assert response.status_code == 200
    assert "needs at least one owner" in response.content.decode()
    assert not Organization.objects.filter(slug="initech").exists()

    inline_row(data, "memberships", user=tenancy.outsider.pk, role=OrgRole.OWNER)
    inline_row(data, "teams", name="Platform", description="")
    assert staff.post(url, data).status_code == 302
    initech = Organization.objects.get(slug="initech")
    assert initech.memberships.get().user == tenancy.outsider
    assert initech.teams.get().name == "Platform"
    assert audit_count("organization.create") == 1
    assert audit_count("organization.member_add") == 1
    assert audit_count("team.create") == 1


def test_teams_inline_edits_go_through_the_team_services(staff, tenancy, team, audit_count):
    url = admin_url(Organization, "change", tenancy.org.pk)
    data = change_form_data(staff.get(url))
    data["teams-0-name"] = "Data Platform"
    inline_row(data, "teams", name="data platform", description="")  # clashes, whatever the case
    response = staff.post(url, data)
    assert response.status_code == 200
    assert Team.objects.filter(organization=tenancy.org).count() == 1

    data = change_form_data(staff.get(url))
    data["teams-0-name"] = "Data Platform"
    assert staff.post(url, data).status_code == 302
    assert Team.objects.get(pk=team.pk).name == "Data Platform"
    assert audit_count("team.update") == 1


def test_deleting_an_organisation_is_audited(staff, tenancy, audit_count):
    staff.post(admin_url(Organization, "delete", tenancy.other_org.pk), {"post": "yes"})
    assert not Organization.objects.filter(pk=tenancy.other_org.pk).exists()
    event = AuditEvent.objects.get(action="organization.delete")
    assert event.target_label == "Globex"


# --- Teams -----------------------------------------------------------------------------------------------------


def test_renaming_a_team_goes_through_the_service(staff, tenancy, team, audit_count):
    url = admin_url(Team, "change", team.pk)
    data = change_form_data(staff.get(url))
    data["name"] = "Data Science"
    assert staff.post(url, data).status_code == 302
    team.refresh_from_db()
    assert team.name == "Data Science"
    assert AuditEvent.objects.get(action="team.update").changes == {"name": ["Data Engineering", "Data Science"]}


def test_creating_a_team_goes_through_the_service(staff, tenancy, audit_count):
    url = admin_url(Team, "add")
    data = change_form_data(staff.get(url))
    data.update(organization=tenancy.org.pk, name="Analysts")
    inline_row(data, "memberships", user=tenancy.member.pk)
    assert staff.post(url, data).status_code == 302
    analysts = Team.objects.get(name="Analysts")
    assert list(analysts.members.all()) == [tenancy.member]
    assert audit_count("team.create") == 1
    assert audit_count("team.member_add") == 1


def test_only_organisation_members_can_join_a_team(staff, tenancy, team, audit_count):
    url = admin_url(Team, "change", team.pk)
    data = inline_row(change_form_data(staff.get(url)), "memberships", user=tenancy.outsider.pk)
    response = staff.post(url, data)
    assert response.status_code == 200
    assert "is not a member of Acme Data" in response.content.decode()
    assert not team.members.filter(pk=tenancy.outsider.pk).exists()

    data = change_form_data(staff.get(url))
    data["memberships-0-DELETE"] = "on"
    inline_row(data, "memberships", user=tenancy.owner.pk)
    assert staff.post(url, data).status_code == 302
    assert list(team.members.all()) == [tenancy.owner]
    assert audit_count("team.member_add") == 1
    assert audit_count("team.member_remove") == 1


def test_deleting_a_team_goes_through_the_service(staff, team, audit_count):
    staff.post(admin_url(Team), action_data("delete_selected", team, post="yes"))
    assert not Team.objects.filter(pk=team.pk).exists()
    assert audit_count("team.delete") == 1


def test_deleting_a_team_asks_for_confirmation_first(staff, team):
    response = staff.post(admin_url(Team), action_data("delete_selected", team))
    assert response.status_code == 200
    assert "Are you sure" in response.content.decode()
    assert Team.objects.filter(pk=team.pk).exists()


# --- Users -----------------------------------------------------------------------------------------------------


def test_adding_a_user_takes_an_email_and_the_password_twice(staff, audit_count):
    password = "a-long-and-unusual-passphrase"
    response = staff.post(
        admin_url(User, "add"),
        {
            "email": "New.Person@Example.com",
            "full_name": "New Person",
            "usable_password": "true",
            "password1": password,
            "password2": password,
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(email="new.person@example.com")
    assert user.check_password(password)
    assert not user.is_staff
    assert audit_count("user.create") == 1


def test_adding_a_user_refuses_mismatched_passwords_and_taken_emails(staff, tenancy):
    response = staff.post(
        admin_url(User, "add"),
        {"email": "OWNER@acme.test", "usable_password": "true", "password1": "one-long-pass", "password2": "other"},
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "email" in errors and "password2" in errors
    assert User.objects.filter(email__iexact="owner@acme.test").count() == 1


def test_user_page_links_to_the_password_change_form(staff, tenancy, audit_count):
    response = staff.get(admin_url(User, "change", tenancy.member.pk))
    assert 'href="../password/"' in response.content.decode()
    url = reverse("admin:auth_user_password_change", args=[tenancy.member.pk])
    assert staff.get(url).status_code == 200
    new = "another-long-passphrase"
    response = staff.post(url, {"password1": new, "password2": new, "usable_password": "true"})
    assert response.status_code == 302
    tenancy.member.refresh_from_db()
    assert tenancy.member.check_password(new)
    assert AuditEvent.objects.get(action="user.password_change").changes == {"password": "set"}
    assert new not in str(AuditEvent.objects.values_list("changes", flat=True)[:])


def test_making_a_user_staff_is_audited(staff, tenancy):
    url = admin_url(User, "change", tenancy.member.pk)
    data = change_form_data(staff.get(url))
    data["is_staff"] = "on"
    assert staff.post(url, data).status_code == 302
    assert User.objects.get(pk=tenancy.member.pk).is_staff
    assert AuditEvent.objects.get(action="user.update").changes == {"is_staff": [False, True]}


def test_deactivate_action_is_audited(staff, tenancy, superuser):
    staff.post(admin_url(User), action_data("deactivate", tenancy.member, superuser))
    assert not User.objects.get(pk=tenancy.member.pk).is_active
    assert User.objects.get(pk=superuser.pk).is_active  # never yourself
    assert AuditEvent.objects.filter(action="user.update").count() == 1


def test_deleting_the_last_owner_of_an_organisation_is_refused(staff, tenancy, audit_count):
    response = staff.post(admin_url(User, "delete", tenancy.owner.pk), {"post": "yes"}, follow=True)
    assert User.objects.filter(pk=tenancy.owner.pk).exists()
    errors = [text for level, text in messages_of(response) if level == "error"]
    assert any("Acme Data would be left without an owner" in text for text in errors)

    staff.post(admin_url(User), action_data("delete_selected", tenancy.member, post="yes"))
    assert not User.objects.filter(pk=tenancy.member.pk).exists()
    assert audit_count("user.delete") == 1


def test_roles_left_in_place_are_untouched_by_a_refused_save(staff, tenancy):
    # a refused organisation save must not half-apply: the binding from the fixture is still there
    BindingFactory(workspace=tenancy.workspace, user=tenancy.owner, role=WorkspaceRole.OWNER)
    url = admin_url(Organization, "change", tenancy.org.pk)
    data = change_form_data(staff.get(url))
    data["name"] = "Renamed"
    data[f"memberships-{inline_index(data, 'memberships', owner_membership(tenancy).pk)}-DELETE"] = "on"
    assert staff.post(url, data).status_code == 200
    tenancy.org.refresh_from_db()
    assert tenancy.org.name == "Acme Data"
    assert WorkspaceRoleBinding.objects.filter(workspace=tenancy.workspace).count() == 2


def test_organisation_page_query_count_does_not_grow_with_members(staff, tenancy, django_assert_max_num_queries):
    url = admin_url(Organization, "change", tenancy.org.pk)
    staff.get(url)
    with CaptureQueriesContext(connection) as few:
        staff.get(url)
    for _ in range(30):
        MembershipFactory(organization=tenancy.org)
        TeamFactory(organization=tenancy.org)
    with django_assert_max_num_queries(len(few)):
        assert staff.get(url).status_code == 200


def test_a_refusal_only_the_service_can_see_is_reported_not_a_crash(staff, tenancy, monkeypatch):
    def refuse(**kwargs):
        raise ValidationError({"name": "Someone renamed it meanwhile."})

    monkeypatch.setattr(services, "organization_update", refuse)
    url = admin_url(Organization, "change", tenancy.org.pk)
    data = change_form_data(staff.get(url))
    data.update(name="Renamed", slug="renamed")
    response = staff.post(url, data, follow=True)
    assert response.status_code == 200
    assert ("error", "Nothing was saved: Someone renamed it meanwhile.") in messages_of(response)
    tenancy.org.refresh_from_db()
    assert (tenancy.org.name, tenancy.org.slug) == ("Acme Data", "acme")

"""The organisation's audit log page: access, pagination and filters."""

import datetime

import factory
import pytest
from django.urls import reverse

from accounts import audit
from accounts.models import AuditEvent
from accounts.roles import OrgRole
from accounts.tests.factories import MembershipFactory, UserFactory
from accounts.tests.page_helpers import HTMX, text

pytestmark = pytest.mark.django_db


def event(org, actor, action, *, when=None, target=None, changes=None) -> AuditEvent:
    entry = audit.record(actor=actor, action=action, target=target or org, organization=org, changes=changes)
    if when:
        AuditEvent.objects.filter(pk=entry.pk).update(created_at=when)
    return entry


def at(day: int) -> datetime.datetime:
    return datetime.datetime(2025, 3, day, 12, 0, tzinfo=datetime.UTC)


def audit_url(slug="acme") -> str:
    return reverse("audit_log", args=[slug])


def test_anonymous_user_is_redirected_to_login_from_the_audit_log(client, tenancy):
    response = client.get(audit_url())
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={audit_url()}"


def test_member_cannot_see_the_audit_log(login, tenancy):
    event(tenancy.org, tenancy.owner, "organization.update")
    response = login(tenancy.member).get(audit_url())
    assert response.status_code == 403
    assert "organization.update" not in text(response)


def test_member_does_not_get_the_audit_log_over_htmx_either(login, tenancy):
    assert login(tenancy.member).get(audit_url(), **HTMX).status_code == 403


def test_member_is_not_offered_the_audit_log_in_the_navigation(login, tenancy):
    assert audit_url() not in text(login(tenancy.member).get(reverse("organization_home", args=["acme"])))
    assert audit_url() in text(login(tenancy.owner).get(reverse("organization_home", args=["acme"])))


def test_outsider_gets_404_on_another_organisations_audit_log(login, tenancy):
    event(tenancy.org, tenancy.owner, "organization.update")
    response = login(tenancy.outsider).get(audit_url())
    assert response.status_code == 404
    assert "organization.update" not in text(response)


def test_owner_sees_the_audit_log_of_their_organisation_only(login, tenancy):
    event(tenancy.org, tenancy.owner, "team.create", changes={"role": ["MEMBER", "OWNER"]})
    event(tenancy.other_org, tenancy.outsider, "workspace.delete")
    response = login(tenancy.owner).get(audit_url())
    assert response.status_code == 200
    body = text(response)
    assert "<code>team.create</code>" in body
    assert "MEMBER → OWNER" in body
    assert "owner@acme.test" in body
    assert "workspace.delete" not in body
    assert "outsider@globex.test" not in body


def test_the_audit_log_shows_changes_made_through_the_pages(login, tenancy):
    client = login(tenancy.owner)
    client.post(reverse("organization_rename", args=["acme"]), {"name": "Acme Analytics"})
    body = text(client.get(audit_url()))
    assert "<code>organization.update</code>" in body
    assert "Acme Data → Acme Analytics" in body
    assert "127.0.0.1" in body


def test_an_empty_audit_log_says_so(login, tenancy):
    assert "No events match" in text(login(tenancy.owner).get(audit_url()))


def test_audit_log_paginates_by_50(login, tenancy):
    for n in range(60):
        event(tenancy.org, tenancy.owner, "team.create", when=at(1) + datetime.timedelta(minutes=n))
    client = login(tenancy.owner)
    first = text(client.get(audit_url()))
    assert first.count("<code>team.create</code>") == 50
    assert "Showing <strong>1–50</strong> of <strong>60</strong>" in first
    assert "1 / 2" in first
    second = client.get(audit_url(), {"page": 2})
    assert second.status_code == 200
    body = text(second)
    assert body.count("<code>team.create</code>") == 10
    assert "Showing <strong>51–60</strong> of <strong>60</strong>" in body
    assert "2 / 2" in body
    # Newest first: page 2 ends with the oldest entry.
    assert "1 Mar 2025, 12:00" in body and "1 Mar 2025, 12:00" not in first


def test_audit_log_pagination_keeps_the_filters(login, tenancy):
    for _ in range(55):
        event(tenancy.org, tenancy.owner, "team.create")
    event(tenancy.org, tenancy.owner, "team.delete")
    client = login(tenancy.owner)
    first = text(client.get(audit_url(), {"action": "team.create"}))
    assert "of <strong>55</strong>" in first
    assert 'href="?action=team.create&page=2"' in first
    second = text(client.get(audit_url(), {"action": "team.create", "page": 2}))
    assert "Showing <strong>51–55</strong> of <strong>55</strong>" in second
    assert "team.delete</code>" not in second


def test_audit_log_filters_by_actor(login, tenancy):
    event(tenancy.org, tenancy.owner, "team.create", target=tenancy.owner)
    event(tenancy.org, tenancy.member, "organization.leave", target=tenancy.member)
    body = text(login(tenancy.owner).get(audit_url(), {"actor": tenancy.member.pk}))
    assert "<code>organization.leave</code>" in body
    assert "<code>team.create</code>" not in body
    # The actor picker shows who is chosen, and holds their id for the next filter.
    assert f'value="{tenancy.member.name_and_email}"' in body
    assert f'name="actor" id="id_actor" value="{tenancy.member.pk}"' in body


def actors_url(q: str) -> str:
    return reverse("audit_actor_candidates", args=["acme"]) + f"?q={q}"


def test_audit_log_lists_no_one_in_its_actor_filter_until_searched(login, tenancy):
    people = UserFactory.create_batch(30, email=factory.Sequence(lambda n: f"colleague{n}@acme.test"))
    for person in people:
        MembershipFactory(organization=tenancy.org, user=person)
    body = text(login(tenancy.owner).get(audit_url()))
    assert not any(person.email in body for person in people)
    assert reverse("audit_actor_candidates", args=["acme"]) in body


def test_audit_actor_search_answers_the_organisations_people_only(login, tenancy):
    client = login(tenancy.owner)
    body = text(client.get(actors_url("member"), **HTMX))
    assert f'data-pick-id="{tenancy.member.pk}"' in body
    assert "outsider@globex.test" not in text(client.get(actors_url("outsider"), **HTMX))
    assert "outsider@globex.test" not in text(client.get(actors_url(""), **HTMX))


def test_audit_actor_search_is_for_those_who_may_read_the_log(login, tenancy):
    assert login(tenancy.member).get(actors_url("o"), **HTMX).status_code == 403
    assert login(tenancy.outsider).get(actors_url("o"), **HTMX).status_code == 404


def test_audit_log_refuses_an_actor_from_another_organisation(login, tenancy):
    event(tenancy.org, tenancy.owner, "team.create", target=tenancy.owner)
    body = text(login(tenancy.owner).get(audit_url(), {"actor": tenancy.outsider.pk}))
    assert "Select a valid choice" in body


def test_audit_log_filters_by_action(login, tenancy):
    event(tenancy.org, tenancy.owner, "team.create")
    event(tenancy.org, tenancy.owner, "workspace.create")
    event(tenancy.other_org, tenancy.outsider, "team.delete")
    body = text(login(tenancy.owner).get(audit_url(), {"action": "workspace.create"}))
    assert "<code>workspace.create</code>" in body
    assert "<code>team.create</code>" not in body
    # The action menu lists the actions recorded in this organisation only.
    assert '<option value="team.create">' in body
    assert '<option value="workspace.create" selected>' in body
    assert '<option value="team.delete">' not in body


def test_audit_log_filters_by_date_range(login, tenancy):
    for day, action in [(1, "a.first"), (5, "b.middle"), (6, "c.middle"), (9, "d.last")]:
        event(tenancy.org, tenancy.owner, action, when=at(day))
    client = login(tenancy.owner)
    body = text(client.get(audit_url(), {"since": "2025-03-05", "until": "2025-03-06"}))
    assert "b.middle" in body and "c.middle" in body
    assert "a.first" not in body.split('id="audit-results"')[1]
    assert "d.last" not in body.split('id="audit-results"')[1]
    since_only = text(client.get(audit_url(), {"since": "2025-03-06"}))
    assert "c.middle</code>" in since_only and "d.last</code>" in since_only and "b.middle</code>" not in since_only
    until_only = text(client.get(audit_url(), {"until": "2025-03-01"}))
    assert "a.first</code>" in until_only and "b.middle</code>" not in until_only


def test_audit_log_refuses_an_end_date_before_the_start_date(login, tenancy):
    event(tenancy.org, tenancy.owner, "team.create")
    response = login(tenancy.owner).get(audit_url(), {"since": "2025-03-09", "until": "2025-03-01"})
    assert response.status_code == 200
    body = text(response)
    assert "The end date is before the start date." in body
    assert 'class="form-control is-invalid" value="2025-03-01"' in body


def test_audit_log_combines_filters(login, tenancy):
    event(tenancy.org, tenancy.owner, "team.create", when=at(5))
    event(tenancy.org, tenancy.member, "team.create", when=at(5))
    event(tenancy.org, tenancy.owner, "team.create", when=at(9))
    body = text(
        login(tenancy.owner).get(
            audit_url(),
            {"actor": tenancy.owner.pk, "action": "team.create", "since": "2025-03-01", "until": "2025-03-06"},
        )
    )
    assert body.count("<code>team.create</code>") == 1
    assert "5 Mar 2025" in body


def test_audit_log_over_htmx_answers_with_only_the_results(login, tenancy):
    event(tenancy.org, tenancy.owner, "team.create")
    event(tenancy.org, tenancy.owner, "workspace.create")
    response = login(tenancy.owner).get(audit_url(), {"action": "team.create"}, **HTMX)
    assert response.status_code == 200
    body = text(response)
    assert "<html" not in body
    assert body.lstrip().startswith('<div id="audit-results">')
    assert 'id="audit-filters"' not in body
    assert "<code>team.create</code>" in body and "workspace.create" not in body


def test_another_owner_sees_the_same_log(login, tenancy):
    co_owner = UserFactory()
    MembershipFactory(organization=tenancy.org, user=co_owner, role=OrgRole.OWNER)
    event(tenancy.org, tenancy.owner, "team.create")
    assert "<code>team.create</code>" in text(login(co_owner).get(audit_url()))

import pytest

from accounts.selectors import members_of
from accounts.tests.factories import MembershipFactory, TeamFactory, TeamMembershipFactory

pytestmark = pytest.mark.django_db


def test_member_list_counts_only_teams_of_this_organisation(tenancy):
    MembershipFactory(organization=tenancy.other_org, user=tenancy.member)
    TeamMembershipFactory(team=TeamFactory(organization=tenancy.other_org), user=tenancy.member)
    TeamMembershipFactory(team=TeamFactory(organization=tenancy.org), user=tenancy.member)
    row = members_of(organization=tenancy.org).get(user=tenancy.member)
    assert row.team_count == 1

"""What several of the accounts admin pages share: the last-owner rule and the change message of a
formset saved through services."""

from collections import defaultdict

from accounts.models import OrganizationMembership
from accounts.roles import OrgRole

LAST_OWNER = "This is the organisation's last owner. Make someone else an owner first."


def last_owner_refusals(memberships) -> list[str]:
    """Why removing these memberships (all at once) would leave an organisation without an owner; [] if not."""
    leaving = defaultdict(list)
    for membership in memberships:
        if membership.role == OrgRole.OWNER:
            leaving[membership.organization_id].append(membership)
    refusals = []
    for organization_id, owners in leaving.items():
        others = OrganizationMembership.objects.filter(organization_id=organization_id, role=OrgRole.OWNER)
        if not others.exclude(pk__in=[m.pk for m in owners]).exists():
            names = ", ".join(str(m.user) for m in owners)
            refusals.append(
                f"{owners[0].organization} would be left without an owner ({names}). Make someone else an owner first."
            )
    return refusals


def save_formset_result(formset, new, changed, deleted):
    """What `formset.save()` would have left behind, for the admin's change message."""
    formset.new_objects, formset.changed_objects, formset.deleted_objects = new, changed, deleted

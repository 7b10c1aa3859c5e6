"""Invitations in the API: list the organisation's open invitations, invite addresses, resend, revoke (owners), with
the same rules and answers as the members page (`invitations.services`).

This is how people join an organisation: there is no endpoint that adds an existing account directly. An answer never
tells whether an address has an Aerodrome account: an address with one is invited exactly like one without.
"""

from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.api.serializers import OrgRoleField, UserSummarySerializer, WorkspaceRoleField
from accounts.api.viewsets import ORGANIZATION_SLUG, OrganizationChildViewSet
from accounts.invitations import services as invitations
from accounts.models import Invitation
from accounts.roles import OrgRole

STATUSES = [("PENDING", "Pending"), ("EXPIRED", "Expired")]  # the open ones: accepted and revoked are not listed


class InvitationSerializer(serializers.ModelSerializer):
    org_role = serializers.ChoiceField(choices=OrgRole.choices, read_only=True)
    workspace = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    workspace_role = serializers.CharField(read_only=True, help_text="With `workspace`: the role there; else empty.")
    status = serializers.ChoiceField(choices=STATUSES, read_only=True)
    invited_by = UserSummarySerializer(read_only=True, allow_null=True)

    class Meta:
        model = Invitation
        fields = [
            "id",
            "email",
            "org_role",
            "workspace",
            "workspace_role",
            "status",
            "invited_by",
            "created_at",
            "sent_at",
            "send_count",
            "expires_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "sent_at": {"help_text": "When the mail server last took the email; null if it never did (resend it)."}
        }


class InvitationCreateSerializer(serializers.Serializer):
    emails = serializers.ListField(
        child=serializers.CharField(max_length=400, allow_blank=True),
        allow_empty=True,  # the service counts them, so a bad role and too many addresses are reported together
        help_text=f"The addresses to invite (at most {invitations.MAX_ADDRESSES}); `Name <address>` works. Each is "
        "answered on its own in `results`.",
    )
    org_role = OrgRoleField(default=OrgRole.MEMBER, help_text="The organisation role they get on accepting.")
    workspace = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="Optionally a workspace of the organisation (its id)."
    )
    workspace_role = WorkspaceRoleField(required=False, default="", help_text="The role on `workspace` (MEMBER).")


class InviteResultSerializer(serializers.Serializer):
    email = serializers.CharField(help_text="The address as Aerodrome stores it (lower case, domain in Unicode).")
    result = serializers.ChoiceField(
        choices=[
            ("invited", "Invited (or invited again, if the earlier invitation had expired)"),
            ("member", "Already a member of the organisation"),
            ("pending", "Already has a pending invitation"),
            ("malformed", "Not an email address"),
        ]
    )
    message = serializers.CharField()
    sent = serializers.BooleanField(help_text="Whether the mail server took the email (invited addresses only).")
    invitation = InvitationSerializer(allow_null=True, help_text="The invitation (invited and pending addresses).")


class InviteAnswerSerializer(serializers.Serializer):
    results = InviteResultSerializer(many=True, help_text="One per distinct address, in the order given.")


@extend_schema(tags=["organizations"], parameters=[ORGANIZATION_SLUG])
@extend_schema_view(list=extend_schema(summary="List the organisation's open invitations (owners)"))
class InvitationViewSet(mixins.ListModelMixin, OrganizationChildViewSet):
    queryset = Invitation.objects.none()
    serializer_class = InvitationSerializer
    search_fields = ["email"]

    def get_queryset(self):
        self.require("organization.manage_members", self.organization)
        return invitations.open_invitations(organization=self.organization)

    @extend_schema(
        summary="Invite people to the organisation (owners)",
        description="Each address gets an email with a single-use link valid for 7 days; people join by accepting "
        "it (existing accounts by logging in). Whether an address has an Aerodrome account makes no difference to "
        "the answer. 201 if at least one address was invited, else 200.",
        request=InvitationCreateSerializer,
        responses={201: InviteAnswerSerializer, 200: InviteAnswerSerializer},
    )
    def create(self, request, organization_slug=None):
        self.require("organization.manage_members", self.organization)
        data = self.validated(InvitationCreateSerializer)
        workspace = None
        if data["workspace"] is not None:
            # Through the organisation's relation: accounts does not import the workspaces app.
            workspace = self.organization.workspaces.filter(pk=data["workspace"]).first()
            if workspace is None:
                message = f"{self.organization} has no workspace with the id {data['workspace']}."
                raise ValidationError({"workspace": message})
        outcomes = invitations.invitations_create(
            actor=request.user,
            organization=self.organization,
            emails=data["emails"],
            org_role=data["org_role"],
            workspace=workspace,
            workspace_role=data["workspace_role"] if workspace else "",
        )
        answer = InviteAnswerSerializer({"results": outcomes}).data
        invited = any(outcome.ok for outcome in outcomes)
        return Response(answer, status=status.HTTP_201_CREATED if invited else status.HTTP_200_OK)

    @extend_schema(
        summary="Resend an invitation (owners)",
        description="A new link, valid for another 7 days, is emailed; the old one stops working at once.",
        request=None,
        responses={200: InvitationSerializer},
    )
    @action(detail=True, methods=["post"])
    def resend(self, request, organization_slug=None, pk=None):
        invitation = self.get_object()
        invitations.invitation_resend(actor=request.user, invitation=invitation)
        return self.present(invitation)

    @extend_schema(summary="Revoke an invitation (owners)", description="Its link stops working at once.")
    def destroy(self, request, organization_slug=None, pk=None):
        invitation = self.get_object()
        invitations.invitation_revoke(actor=request.user, invitation=invitation)
        return Response(status=status.HTTP_204_NO_CONTENT)

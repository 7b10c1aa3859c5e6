"""Shapes of organisations, their members and teams in the API. Checks of meaning belong to `accounts.services`."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import AuditEvent, Organization, OrganizationMembership, Team, TeamMembership, User
from accounts.roles import OrgRole, WorkspaceRole
from aerodrome.api.fields import NameField

DESCRIPTION_MAX_LENGTH = 500


class _RoleField(serializers.CharField):
    """A role as its string value ("OWNER"). Any string reaches the service, whose message names the choices."""

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_blank", True)
        super().__init__(**kwargs)


@extend_schema_field(serializers.ChoiceField(choices=OrgRole.choices))
class OrgRoleField(_RoleField):
    pass


@extend_schema_field(serializers.ChoiceField(choices=WorkspaceRole.choices))
class WorkspaceRoleField(_RoleField):
    pass


class UserSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "full_name"]
        read_only_fields = fields


class TeamSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "name"]
        read_only_fields = fields


# Organisations


class OrganizationSerializer(serializers.ModelSerializer):
    role = serializers.ChoiceField(
        source="caller_role",
        choices=OrgRole.choices,
        read_only=True,
        allow_null=True,
        help_text="Your role in the organisation; null for a workspace or Deployment token, which has none there.",
    )

    class Meta:
        model = Organization
        fields = ["id", "slug", "name", "role", "created_at"]
        read_only_fields = fields


class OrganizationWriteSerializer(serializers.Serializer):
    name = NameField()


class OrganizationMemberSerializer(serializers.ModelSerializer):
    user = UserSummarySerializer(read_only=True)
    role = serializers.ChoiceField(choices=OrgRole.choices, read_only=True)

    class Meta:
        model = OrganizationMembership
        fields = ["id", "user", "role", "created_at"]
        read_only_fields = fields


class RoleChangeSerializer(serializers.Serializer):
    role = OrgRoleField()


# Teams


class TeamSerializer(serializers.ModelSerializer):
    member_count = serializers.IntegerField(read_only=True)
    workspace_count = serializers.IntegerField(read_only=True, help_text="Workspaces the team holds a role on.")

    class Meta:
        model = Team
        fields = ["id", "name", "description", "member_count", "workspace_count", "created_at"]
        read_only_fields = fields


class TeamCreateSerializer(serializers.Serializer):
    name = NameField()
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=DESCRIPTION_MAX_LENGTH)


class TeamUpdateSerializer(serializers.Serializer):
    """A partial update: a field left out keeps its value."""

    name = NameField(required=False)
    description = serializers.CharField(required=False, allow_blank=True, max_length=DESCRIPTION_MAX_LENGTH)


class TeamMemberSerializer(serializers.ModelSerializer):
    user = UserSummarySerializer(read_only=True)

    class Meta:
        model = TeamMembership
        fields = ["id", "user", "created_at"]
        read_only_fields = fields


class TeamMemberAddSerializer(serializers.Serializer):
    """Names one member of the organisation, by user id or by email address."""

    user = serializers.IntegerField(required=False, help_text="The user's id.")
    email = serializers.EmailField(required=False, help_text="Or the user's email address.")

    def validate(self, attrs):
        if ("user" in attrs) == ("email" in attrs):
            raise serializers.ValidationError(
                {"non_field_errors": ["Give either the user's id (`user`) or their email address (`email`)."]}
            )
        return attrs


# The audit trail


class AuditEventSerializer(serializers.ModelSerializer):
    actor = UserSummarySerializer(
        read_only=True, allow_null=True, help_text="The person; null for an API token or Aerodrome (see actor_label)."
    )
    changes = serializers.DictField(
        read_only=True, help_text="What changed, per field: `[old, new]`, or a summary. Never secret values."
    )

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "created_at",
            "actor",
            "actor_label",
            "action",
            "target_type",
            "target_id",
            "target_label",
            "changes",
            "ip_address",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "actor_label": {"help_text": "Who did it, as it was called then (a person, an API token, `system`)."},
            "action": {"help_text": "What was done, e.g. `deployment.update`."},
            "target_type": {"help_text": "The kind of object it was done to, e.g. `deployment`."},
        }

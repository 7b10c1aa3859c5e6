"""Shapes of workspaces and their role bindings in the API. Checks of meaning belong to `workspaces.services`."""

from rest_framework import serializers

from accounts.api.serializers import (
    DESCRIPTION_MAX_LENGTH,
    TeamSummarySerializer,
    UserSummarySerializer,
    WorkspaceRoleField,
)
from accounts.roles import WorkspaceRole
from aerodrome.api.fields import NameField
from workspaces.models import Workspace, WorkspaceRoleBinding


class WorkspaceSerializer(serializers.ModelSerializer):
    organization = serializers.SlugField(
        source="organization.slug", read_only=True, help_text="The organisation's slug."
    )

    class Meta:
        model = Workspace
        fields = ["id", "organization", "name", "description", "created_at"]
        read_only_fields = fields


class WorkspaceCreateSerializer(serializers.Serializer):
    organization = serializers.SlugField(help_text="The slug of the organisation to create the workspace in.")
    name = NameField()
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=DESCRIPTION_MAX_LENGTH)


class WorkspaceUpdateSerializer(serializers.Serializer):
    """A partial update: a field left out keeps its value."""

    name = NameField(required=False)
    description = serializers.CharField(required=False, allow_blank=True, max_length=DESCRIPTION_MAX_LENGTH)


class BindingSerializer(serializers.ModelSerializer):
    """A workspace role held by one user or by one team; the other of the two is null."""

    user = UserSummarySerializer(read_only=True, allow_null=True)
    team = TeamSummarySerializer(read_only=True, allow_null=True)
    role = serializers.ChoiceField(choices=WorkspaceRole.choices, read_only=True)

    class Meta:
        model = WorkspaceRoleBinding
        fields = ["id", "user", "team", "role", "created_at"]
        read_only_fields = fields


class BindingCreateSerializer(serializers.Serializer):
    """Gives a role to one member of the workspace's organisation, or to one of its teams."""

    user = serializers.IntegerField(required=False, help_text="The id of a member of the organisation.")
    team = serializers.IntegerField(required=False, help_text="Or the id of one of the organisation's teams.")
    role = WorkspaceRoleField(default=WorkspaceRole.MEMBER)

    def validate(self, attrs):
        if ("user" in attrs) == ("team" in attrs):
            raise serializers.ValidationError(
                {"non_field_errors": ["Give either a user id (`user`) or a team id (`team`), not both."]}
            )
        return attrs


class BindingRoleSerializer(serializers.Serializer):
    role = WorkspaceRoleField()

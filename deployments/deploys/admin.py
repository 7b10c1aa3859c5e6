"""Admin for deploys: the history (read-only) and registry credentials, whose password is write-only here too."""

from django import forms
from django.contrib import admin

from accounts import audit
from deployments.deploys.models import Deploy, RegistryCredential


@admin.register(Deploy)
class DeployAdmin(admin.ModelAdmin):
    list_display = ["id", "deployment", "kind", "status", "deployed_by_label", "created_at"]
    list_filter = ["kind", "status"]
    search_fields = ["deployment__name", "deployment__release_name", "description", "image"]
    list_select_related = ["deployment"]

    def has_add_permission(self, request):
        return False  # deploys are made through the API, the CLI and the Deploys tab

    def has_change_permission(self, request, obj=None):
        return False


class RegistryCredentialForm(forms.ModelForm):
    password = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Write-only: the stored password is never shown. Leave blank to keep it.",
    )

    class Meta:
        model = RegistryCredential
        fields = ["workspace", "cluster", "registry", "username", "password"]

    def clean_password(self):
        password = self.cleaned_data.get("password")
        if not password and not self.instance.pk:
            raise forms.ValidationError("Enter the password (or access token).")
        return password

    def save(self, commit=True):
        password = self.cleaned_data.get("password")
        if not password:
            self.instance.password = RegistryCredential.objects.get(pk=self.instance.pk).password
        return super().save(commit=commit)


@admin.register(RegistryCredential)
class RegistryCredentialAdmin(admin.ModelAdmin):
    form = RegistryCredentialForm
    list_display = ["registry", "username", "workspace", "cluster", "updated_at"]
    search_fields = ["registry", "username"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        owner = obj.workspace or obj.cluster
        audit.record(
            actor=request.user,
            action="registry_credential.set",
            target=obj,
            organization=getattr(owner, "organization", None),
            changes={"registry": obj.registry, "username": obj.username, "password": "replaced" if change else "set"},
        )

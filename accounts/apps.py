from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and organisations"

    def ready(self):
        from django.db.models.signals import post_delete, post_save, pre_delete

        from accounts.models import Organization, OrganizationMembership, SSOConnection, Team, TeamMembership, User
        from accounts.permissions import forget_roles

        # However a connection goes (its page, the admin, its organisation's deletion), its links go with it.
        pre_delete.connect(_forget_sso_identities, sender=SSOConnection, dispatch_uid="forget_sso_identities")
        # A request's remembered roles go with any change to what roles come from (see accounts.permissions).
        for model in (Organization, OrganizationMembership, Team, TeamMembership, User):
            for signal in (post_save, post_delete):
                signal.connect(forget_roles, sender=model, dispatch_uid=f"forget_roles_{model.__name__}")


def _forget_sso_identities(sender, instance, **kwargs):
    from accounts.sso.services import forget_identities

    forget_identities(instance.organization)

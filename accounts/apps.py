from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and organisations"

    def ready(self):
        from django.db.models.signals import pre_delete

        from accounts.models import SSOConnection

        # However a connection goes (its page, the admin, its organisation's deletion), its links go with it.
        pre_delete.connect(_forget_sso_identities, sender=SSOConnection, dispatch_uid="forget_sso_identities")


def _forget_sso_identities(sender, instance, **kwargs):
    from accounts.sso.services import forget_identities

    forget_identities(instance.organization)

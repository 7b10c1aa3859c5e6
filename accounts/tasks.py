"""Periodic work of the accounts app (thin: each task calls a service)."""

from celery import shared_task

from accounts.sso import domains


@shared_task(name="accounts.tasks.sso_domains_recheck", ignore_result=True)
def sso_domains_recheck() -> dict[str, int]:
    """Celery beat, every SSO_DOMAIN_RECHECK_SECONDS: verified SSO domains whose DNS record is gone lose it."""
    return domains.sso_domains_recheck()

"""The CLI's command groups: `deployment` (with `variable` and `queue`), `deploy` and `logs`."""

from contextlib import contextmanager

import click

from aerodrome_cli.errors import ApiError, CLIError


def deployment_id_argument():
    return click.argument("deployment_id", metavar="ID", type=click.IntRange(min=1))


@contextmanager
def not_found_as(message: str):
    """The API's 404 as a sentence naming what was not found (outside your organisations looks the same)."""
    try:
        yield
    except ApiError as error:
        if error.status == 404:
            raise CLIError(f"{message} (HTTP 404)") from None
        raise


def get_deployment(client, deployment_id: int) -> dict:
    """The Deployment as the API shows it; one that this token cannot see is a one-line error."""
    with not_found_as(no_deployment(deployment_id)):
        return client.get(f"deployments/{deployment_id}/")


def no_deployment(deployment_id: int) -> str:
    return f"There is no Deployment {deployment_id} that this token can see."


def not_in_deployment(deployment_id: int, what: str) -> str:
    """For a Deployment's queue, deploy...: `what` is e.g. `queue 'heavy'`."""
    return f"Deployment {deployment_id} has no {what} that this token can see."

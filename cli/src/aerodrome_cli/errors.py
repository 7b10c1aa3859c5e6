"""What the CLI says when something fails: one readable line on stderr and a non-zero exit status."""

import click

# Exit statuses: 1 for any failure the user can read about, 2 for a usage error (click's own), 3 for a deploy that
# did not reach DEPLOYED in time, 130 for Ctrl-C.
FAILURE = 1
TIMED_OUT = 3


class CLIError(click.ClickException):
    """A failure to report as one line: `Error: <message>` on stderr."""

    exit_code = FAILURE

    def __init__(self, message: str, *, exit_code: int | None = None):
        super().__init__(" ".join(str(message).split()))  # one line, whatever the server sent
        if exit_code is not None:
            self.exit_code = exit_code

    def show(self, file=None) -> None:
        click.echo(f"Error: {self.format_message()}", err=True)


class ApiError(CLIError):
    """An error answer of the API, in its one format: `{"error": {"code", "message", "fields"}}`."""

    def __init__(self, status: int, message: str, *, code: str = "", fields: dict | None = None):
        self.status, self.code, self.fields = status, code, fields or {}
        detail = message
        if self.fields:
            detail = "; ".join(
                join_messages(messages) if field == "non_field_errors" else f"{field}: {join_messages(messages)}"
                for field, messages in self.fields.items()
            )
        super().__init__(f"{detail} (HTTP {status})")


def join_messages(messages: list[str]) -> str:
    """A field's messages as one clause (the fields are then joined with "; ")."""
    return " ".join(str(message) for message in messages).rstrip(".")

"""Email: the notice to one or more addresses, through the platform's mail server (EMAIL_URL)."""

import smtplib

from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, mailers
from django.core.validators import validate_email
from django.template.loader import render_to_string

from aerodrome.validation import normalize_email
from monitoring.alerts.channels.base import Notice, SendFailed, Sent

FIELDS = ("addresses",)  # the input it takes besides name and enabled
SECRETS: tuple[str, ...] = ()  # which of them are stored encrypted
MAX_ADDRESSES = 20


def clean(fields: dict, errors, *, channel) -> tuple[dict, dict]:
    raw = fields.get("addresses")
    if raw is None and channel is not None:
        return dict(channel.config), {}
    items = raw if isinstance(raw, list | tuple) else str(raw or "").replace(";", ",").replace("\n", ",").split(",")
    addresses, bad = [], []
    for item in items:
        address = normalize_email(str(item))
        if not address:
            continue
        try:
            validate_email(address)
        except ValidationError:
            bad.append(str(item).strip())
            continue
        if address not in addresses:
            addresses.append(address)
    if bad:
        errors.add("addresses", f"Not an email address: {', '.join(bad[:5])}.")
    elif not addresses:
        errors.add("addresses", "Enter at least one email address.")
    elif len(addresses) > MAX_ADDRESSES:
        errors.add("addresses", f"At most {MAX_ADDRESSES} addresses (this has {len(addresses)}); use a mailing list.")
    return {"addresses": addresses}, {}


def target(channel) -> str:
    addresses = channel.config.get("addresses") or []
    return ", ".join(addresses[:3]) + (f" and {len(addresses) - 3} more" if len(addresses) > 3 else "")


def message(notice: Notice, addresses: list[str]) -> EmailMultiAlternatives:
    context = {"notice": notice}
    email = EmailMultiAlternatives(
        subject=notice.headline[:200],
        body=render_to_string("monitoring/email/notification.txt", context),
        to=addresses,
    )
    email.attach_alternative(render_to_string("monitoring/email/notification.html", context), "text/html")
    return email


def send(channel, notice: Notice, *, delivery_id: int) -> Sent:
    addresses = channel.config.get("addresses") or []
    email = message(notice, addresses)
    email.extra_headers["X-Aerodrome-Delivery"] = str(delivery_id)
    try:
        with mailers.default as connection:
            connection.send_messages([email])
    except smtplib.SMTPRecipientsRefused as error:
        refused = ", ".join(sorted(error.recipients))
        raise SendFailed(f"The mail server refused {refused}.", transient=False) from None
    except smtplib.SMTPResponseException as error:
        said = error.smtp_error.decode(errors="replace") if isinstance(error.smtp_error, bytes) else error.smtp_error
        # 4xx replies are the server's "try again later"; 5xx are final.
        transient = error.smtp_code < 500
        raise SendFailed(f"The mail server answered {error.smtp_code} {said}", transient=transient) from None
    except (smtplib.SMTPException, OSError) as error:
        raise SendFailed(f"Could not reach the mail server: {error or type(error).__name__}", transient=True) from None
    return Sent(None, f"The mail server accepted it for {len(addresses)} address(es).")

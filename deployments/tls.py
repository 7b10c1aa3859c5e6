"""A cluster's TLS setting: how each Deployment's Airflow UI gets a certificate, so that sign-in redirects and
session cookies travel over HTTPS.

- `NONE`: plain HTTP. Pages say so on every Deployment of the cluster.
- `CLUSTER_ISSUER`: the name of a cert-manager ClusterIssuer. The Ingress is annotated with it and cert-manager
  issues a certificate per Deployment. A namespaced Issuer cannot serve: it would have to exist in each
  Deployment's namespace, which Aerodrome creates.
- `CERTIFICATE`: a wildcard certificate for `*.<ingress base domain>` and its private key, pasted once. An Ingress
  can only use a Secret in its own namespace, so Aerodrome writes it into each Deployment's namespace (the key is
  encrypted at rest and write-only, like the kubeconfig). Renewing it is pasting the new one: every Deployment on
  the cluster is reconciled with it.

`clean_tls` checks the setting as a whole (the certificate against the key and the domain); the page, the API and
the admin all reach it through `cluster_services.clean_cluster`.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.core.exceptions import ValidationError

from aerodrome.validation import ErrorCollector
from deployments import validation as v
from deployments.catalog import TLSMode

FIELDS = ("tls_mode", "tls_cluster_issuer", "tls_certificate", "tls_private_key")
# A Kubernetes object name (ClusterIssuer names are DNS-1123 subdomains).
DNS_SUBDOMAIN = re.compile(r"^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
MAX_PEM = 64 * 1024


@dataclass(frozen=True)
class CertificateInfo:
    names: tuple[str, ...]  # DNS subject alternative names
    not_after: datetime

    def covers(self, host: str) -> bool:
        """Whether a browser accepts it for `host` (exact name, or one label under a wildcard)."""
        first, _, rest = host.partition(".")
        return any(name == host or (name.startswith("*.") and name[2:] == rest and first) for name in self.names)

    def describe(self) -> str:
        return f"{', '.join(self.names)} (until {self.not_after:%Y-%m-%d})"


def certificate_info(pem: str) -> CertificateInfo:
    """The leaf (first) certificate of a PEM chain; ValidationError on `tls_certificate` if it is not one."""
    if len(pem) > MAX_PEM:
        raise ValidationError({"tls_certificate": "A certificate chain can be at most 64 KiB."})
    try:
        chain = x509.load_pem_x509_certificates(pem.encode())
    except ValueError:
        raise ValidationError(
            {"tls_certificate": "Paste the certificate in PEM form (-----BEGIN CERTIFICATE----- …), leaf first."}
        ) from None
    try:
        names = chain[0].extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        dns_names = tuple(name.lower() for name in names.get_values_for_type(x509.DNSName))
    except x509.ExtensionNotFound:
        dns_names = ()
    return CertificateInfo(names=dns_names, not_after=chain[0].not_valid_after_utc)


def _public_key(pem: str) -> bytes:
    return x509.load_pem_x509_certificates(pem.encode())[0].public_key().public_bytes(*_SPKI)


_SPKI = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _key_matches(certificate: str, private_key: str) -> None:
    if len(private_key) > MAX_PEM:
        raise ValidationError({"tls_private_key": "A private key can be at most 64 KiB."})
    try:
        key = serialization.load_pem_private_key(private_key.encode(), password=None)
    except TypeError:
        raise ValidationError({"tls_private_key": "Paste the key without a passphrase."}) from None
    except Exception:  # noqa: BLE001 - unreadable or unsupported: say what is wanted
        raise ValidationError(
            {"tls_private_key": "Paste the private key in PEM form (-----BEGIN … KEY-----)."}
        ) from None
    if key.public_key().public_bytes(*_SPKI) != _public_key(certificate):
        raise ValidationError({"tls_private_key": "This key does not belong to the certificate."})


def clean_tls(errors: ErrorCollector, fields: dict, *, cluster=None, domain: str | None) -> dict:
    """The TLS fields to save for `fields` (a change of `cluster`, or a new cluster when None), checked against
    the cluster's ingress `domain` (None when the domain itself is invalid). Fields the chosen mode does not use
    are cleared; a blank certificate or key keeps the stored one. Call it when a TLS field or the domain is given."""
    stored = {name: getattr(cluster, name) if cluster else "" for name in FIELDS}
    stored["tls_mode"] = stored["tls_mode"] or TLSMode.NONE
    mode = fields.get("tls_mode", stored["tls_mode"]) or TLSMode.NONE
    if errors.check(v.clean_choice, mode, TLSMode.choices, field="tls_mode", what="TLS mode") is None:
        return {}
    cleaned = {"tls_mode": mode, "tls_cluster_issuer": "", "tls_certificate": "", "tls_private_key": ""}
    if "tls_mode" not in fields:  # a partial change (API): a value the stored mode would drop is a mistake
        uses = {
            TLSMode.CLUSTER_ISSUER: {"tls_cluster_issuer"},
            TLSMode.CERTIFICATE: {"tls_certificate", "tls_private_key"},
        }
        for name in set(FIELDS[1:]) - uses.get(mode, set()):
            if (fields.get(name) or "").strip():
                errors.add(name, f"Not used while tls_mode is {mode}: set tls_mode too.")
    if mode == TLSMode.CLUSTER_ISSUER:
        issuer = (fields.get("tls_cluster_issuer", stored["tls_cluster_issuer"]) or "").strip()
        if not issuer:
            errors.add("tls_cluster_issuer", "Enter the name of the cert-manager ClusterIssuer to use.")
        elif not DNS_SUBDOMAIN.match(issuer):
            errors.add(
                "tls_cluster_issuer",
                "A ClusterIssuer name is lower-case letters, digits, '-' and '.', e.g. letsencrypt-prod.",
            )
        cleaned["tls_cluster_issuer"] = issuer
    elif mode == TLSMode.CERTIFICATE:
        certificate = (fields.get("tls_certificate") or "").strip() or stored["tls_certificate"]
        private_key = (fields.get("tls_private_key") or "").strip() or stored["tls_private_key"]
        if not certificate:
            errors.add("tls_certificate", "Paste the wildcard certificate (PEM), leaf first, then its chain.")
        if not private_key:
            errors.add("tls_private_key", "Paste the certificate's private key (PEM).")
        info = errors.check(certificate_info, certificate) if certificate else None
        if info is not None:
            _check_certificate(errors, info, domain)
            if private_key:
                errors.check(_key_matches, certificate, private_key)
        cleaned["tls_certificate"] = certificate.strip() + "\n" if certificate else ""
        cleaned["tls_private_key"] = private_key.strip() + "\n" if private_key else ""
    return cleaned


def _check_certificate(errors: ErrorCollector, info: CertificateInfo, domain: str | None) -> None:
    if info.not_after <= datetime.now(UTC):
        errors.add("tls_certificate", f"This certificate expired on {info.not_after:%Y-%m-%d}.")
    if domain and not info.covers(f"release.{domain}"):
        names = ", ".join(info.names) or "no DNS names"
        errors.add(
            "tls_certificate",
            f"Each Deployment is served at <release>.{domain}: the certificate must be for *.{domain} "
            f"(it is for {names}).",
        )


def summary(cleaned: dict) -> dict:
    """What the audit log may say about a TLS change: the key only as 'changed', the certificate by its names."""
    result = {}
    for key, value in cleaned.items():
        if key == "tls_private_key":
            result[key] = "(changed)" if value else ""
        elif key == "tls_certificate" and value:
            try:
                result[key] = certificate_info(value).describe()
            except ValidationError:
                result[key] = "(changed)"
        else:
            result[key] = value
    return result

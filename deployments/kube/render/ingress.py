"""The Ingress that publishes the UI at `<release>.<cluster domain>`, over HTTPS when the cluster has a TLS setting.

- cert-manager (`CLUSTER_ISSUER`): the Ingress carries `cert-manager.io/cluster-issuer`, and cert-manager's
  ingress-shim issues a certificate for the host into the Secret `<release>-tls` that the Ingress names. Only a
  ClusterIssuer works here: an Issuer lives in one namespace, and each Deployment's namespace is Aerodrome's own.
- a wildcard certificate (`CERTIFICATE`): an Ingress can only use a Secret of its own namespace, so the certificate
  and key stored (encrypted) on the cluster are written into each Deployment's namespace as the `kubernetes.io/tls`
  Secret `<release>-wildcard-tls`, owned and pruned like every other object.
- none: no `tls` block at all; the UI is plain HTTP (the Deployment page says so).
"""

from deployments.catalog import TLSMode
from deployments.kube.render.base import AIRFLOW_PORT, INGRESS_CLASS, b64, dns_name, meta, ui_component
from deployments.kube.spec import DeploymentSpec

ANNOTATION_CLUSTER_ISSUER = "cert-manager.io/cluster-issuer"
ISSUED_SECRET = "tls"  # <release>-tls: written by cert-manager
WILDCARD_SECRET = "wildcard-tls"  # <release>-wildcard-tls: written by Aerodrome


def tls_secret_name(spec: DeploymentSpec) -> str | None:
    """The Secret the Ingress serves its certificate from, or None without TLS."""
    if spec.tls.mode == TLSMode.CLUSTER_ISSUER:
        return dns_name(spec.release_name, ISSUED_SECRET)
    if spec.tls.mode == TLSMode.CERTIFICATE:
        return dns_name(spec.release_name, WILDCARD_SECRET)
    return None


def objects(spec: DeploymentSpec) -> list[dict]:
    ui = ui_component(spec)
    metadata = meta(spec, dns_name(spec.release_name, "ingress"), ui)
    ingress_spec: dict = {"ingressClassName": INGRESS_CLASS}
    secret_name = tls_secret_name(spec)
    if spec.tls.mode == TLSMode.CLUSTER_ISSUER:
        metadata["annotations"] = {ANNOTATION_CLUSTER_ISSUER: spec.tls.cluster_issuer}
    if secret_name:
        ingress_spec["tls"] = [{"hosts": [spec.ui_host], "secretName": secret_name}]
    ingress_spec["rules"] = [
        {
            "host": spec.ui_host,
            "http": {
                "paths": [
                    {
                        "path": "/",
                        "pathType": "Prefix",
                        "backend": {
                            "service": {
                                "name": dns_name(spec.release_name, ui),
                                "port": {"number": AIRFLOW_PORT},
                            }
                        },
                    }
                ]
            },
        }
    ]
    result = [{"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": metadata, "spec": ingress_spec}]
    if spec.tls.mode == TLSMode.CERTIFICATE:
        result.append(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": meta(spec, secret_name, ui),
                "type": "kubernetes.io/tls",
                "data": {"tls.crt": b64(spec.tls.certificate), "tls.key": b64(spec.tls.private_key)},
            }
        )
    return result

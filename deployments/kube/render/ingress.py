"""The Ingress that publishes the UI at `https://<release>.<cluster domain>`."""

from deployments.kube.render.base import AIRFLOW_PORT, INGRESS_CLASS, dns_name, meta, ui_component
from deployments.kube.spec import DeploymentSpec


def objects(spec: DeploymentSpec) -> list[dict]:
    ui = ui_component(spec)
    ingress = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": meta(spec, dns_name(spec.release_name, "ingress"), ui),
        "spec": {
            "ingressClassName": INGRESS_CLASS,
            "tls": [{"hosts": [spec.ui_host], "secretName": dns_name(spec.release_name, "tls")}],
            "rules": [
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
            ],
        },
    }
    return [ingress]

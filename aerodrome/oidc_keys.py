"""The RSA key that signs the ID tokens Aerodrome gives its Deployments' Airflow, for development: made once under
VAR_DIR and reused, so every process of `make run` signs with the same key. Production sets OIDC_RSA_PRIVATE_KEY."""

from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def new_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def development_key(path: Path) -> str:
    if not path.exists():
        path.write_text(new_key_pem())
        path.chmod(0o600)
    return path.read_text()

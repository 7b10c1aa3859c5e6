"""Helpers shared by the CLI's tests."""


def as_token(world, token: str) -> dict:
    """The environment CI uses instead of a login: the server's address and a token."""
    return {"AERODROME_URL": world.url, "AERODROME_TOKEN": token}

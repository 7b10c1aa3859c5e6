"""Helpers shared by the CLI's tests."""


def write_tree(root, files: dict[str, str]) -> None:
    """Write `files` (relative path: text) under `root`, making the folders they need."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def as_token(world, token: str) -> dict:
    """The environment CI uses instead of a login: the server's address and a token."""
    return {"AERODROME_URL": world.url, "AERODROME_TOKEN": token}

"""The `aerodrome` command line: everything it does goes through Aerodrome's public REST API (`/api/v1/`)."""

__version__ = "0.1.0"

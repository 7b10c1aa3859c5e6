#!/usr/bin/env python
import os
import sys

# Commands that only read the code never sign or encrypt anything, so they may run without a SECRET_KEY
# (e.g. `manage.py makemigrations --check` in a fresh checkout). Everything else still fails loudly without one.
CODE_ONLY_COMMANDS = {"makemigrations", "check"}


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aerodrome.settings")
    if len(sys.argv) > 1 and sys.argv[1] in CODE_ONLY_COMMANDS and not os.environ.get("DEBUG"):
        os.environ.setdefault("SECRET_KEY", "code-only-command-" + "x" * 32)
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()

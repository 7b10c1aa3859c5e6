"""The API's JSON parser: DRF's, refusing documents nested deeper than any request needs before decoding them.

Python's JSON decoder recurses once per level of nesting, in C: 100,000 opening brackets (200 KB) exhaust the
stack as a RecursionError, a 500. Counting the depth first, in one pass over the brackets, is linear and
refuses such a body with a 400; a body within the limit cannot recurse deeply anywhere later either."""

import io
import re

from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_DEPTH = 32  # the deepest body the API takes is 3 levels (a Deployment's queues: object, list, object)
_SIGNIFICANT = re.compile(rb'[\[\]{}"\\]')


def too_deep(raw: bytes, limit: int = MAX_DEPTH) -> bool:
    """Whether `raw` (JSON text) opens more than `limit` arrays or objects inside each other. Brackets inside
    strings are text and do not count. Visits only brackets, quotes and backslashes, each once."""
    depth, in_string, skip_to = 0, False, 0
    for match in _SIGNIFICANT.finditer(raw):
        at = match.start()
        if at < skip_to:
            continue  # the character after a backslash in a string: escaped
        char = raw[at : at + 1]
        if in_string:
            if char == b"\\":
                skip_to = at + 2
            elif char == b'"':
                in_string = False
        elif char == b'"':
            in_string = True
        elif char in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        elif char in (b"]", b"}"):
            depth -= 1
    return False


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read()
        if too_deep(raw):
            raise ParseError(f"JSON parse error - the body is nested more than {MAX_DEPTH} levels deep.")
        return super().parse(io.BytesIO(raw), media_type, parser_context)

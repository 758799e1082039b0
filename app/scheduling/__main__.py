"""CLI: ``python -m app.scheduling < request.json > response.json``.

Reads one JSON request on stdin and prints one JSON response on stdout. Exit status:
0 success; 2 bad input, with one line on stderr naming the field; 1 unexpected failure,
also one line. Never a traceback.
"""

from __future__ import annotations

import json
import os
import sys

from .contract import parse_request, response_to_json
from .engine import find_slots
from ..vocabulary import N_
from .models import RequestError

EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 1


def _one_line(text: str) -> str:
    """Keep the stderr contract of exactly one line whatever a user value contains."""
    return text.replace("\\", "\\\\").replace("\r", "\\r").replace("\n", "\\n")


def _decode(raw: bytes) -> object:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise RequestError("request", N_("is not UTF-8 text (byte %(byte)s)"), {"byte": error.start}) from None
    if not text.strip():
        raise RequestError("request", N_("is empty; expected one JSON object on stdin"))
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise RequestError("request", N_("malformed JSON at line %(line)s column %(column)s: %(problem)s"),
                           {"line": error.lineno, "column": error.colno, "problem": error.msg}) from None
    except RecursionError:
        raise RequestError("request", N_("JSON is nested too deeply")) from None
    except ValueError as error:  # e.g. an integer literal with thousands of digits
        raise RequestError("request", N_("unreadable JSON: %(problem)s"), {"problem": str(error)}) from None


def run(raw: bytes) -> str:
    """Answer one raw request; raises `RequestError` on bad input."""
    request = parse_request(_decode(raw))
    return json.dumps(response_to_json(find_slots(request)), separators=(",", ":"))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args:
        if args[0] in ("-h", "--help"):
            print(__doc__.strip())
            return 0
        usage = f"usage: python -m app.scheduling < request.json (unexpected argument {args[0]!r})"
        print(_one_line(usage), file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        output = run(sys.stdin.buffer.read())
    except RequestError as error:
        print(_one_line(f"bad request: {error.field}: {error.message}"), file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # the CLI edge: report, never a traceback
        print(_one_line(f"internal error: {type(error).__name__}: {error}"), file=sys.stderr)
        return EXIT_INTERNAL
    try:
        sys.stdout.write(output + "\n")
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away; point stdout at /dev/null so the exit-time flush is quiet.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_INTERNAL
    return 0


if __name__ == "__main__":
    sys.exit(main())

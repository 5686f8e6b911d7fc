"""What the Python drivers share: one JSON object per line on stdout, and key=value arguments
whose errors end the driver with an error line."""

import json
import os
import sys
import threading

_out = threading.Lock()


def emit(obj):
    line = json.dumps(obj, sort_keys=True)
    with _out:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def finish(code):
    """Exits at once: a client's threads and long polls would hold the interpreter."""
    sys.stdout.flush()
    os._exit(code)


def fail(why, code=1):
    emit({"error": why})
    finish(code)


def parse_args(argv):
    args = {}
    for kv in argv:
        key, sep, value = kv.partition("=")
        if not sep:
            fail("bad argument %r (want key=value)" % kv)
        args[key] = value
    return args


def need(args, key):
    if key not in args:
        fail("missing argument %s=" % key)
    return args[key]


def num(args, key, default):
    try:
        return int(args.get(key, default))
    except ValueError:
        fail("argument %s=%r is not a number" % (key, args[key]))

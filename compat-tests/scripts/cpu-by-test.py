#!/usr/bin/env python3
"""Charges the machine's CPU to the compat scenarios that use it.

    cpu-by-test.py OUT.tsv     samples until SIGTERM/SIGINT, then writes OUT.tsv

Every process the harness starts carries THRUST_COMPAT_TEST (process.rs), and its children
inherit it. Twice a second this reads every process's own CPU time (/proc/PID/stat: user + system)
and charges its latest reading to the test; a process loses what it used after its last reading
(at most half a second), so short commands are undercounted. OUT.tsv: test, CPU seconds, and the
CPU seconds by program (java main class or executable), most first.
"""
import os
import signal
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")
INTERVAL = 0.5
# Readings at which a process's program is looked up.
NAMINGS = 4

# (pid, start time) -> [test, program, cpu ticks, readings at which the program was looked up]
seen = {}
stop = False


def on_signal(_sig, _frame):
    global stop
    stop = True


def tag(pid):
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            env = f.read().split(b"\0")
    except OSError:
        return None
    for kv in env:
        if kv.startswith(b"THRUST_COMPAT_TEST="):
            return kv.split(b"=", 1)[1].decode(errors="replace")
    return None


def program(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv = [a.decode(errors="replace") for a in f.read().split(b"\0") if a]
    except OSError:
        return "?"
    if not argv:
        return "?"
    exe = os.path.basename(argv[0])
    if exe == "java":
        # The main class: the first argument after the options (and their values).
        skip = False
        for a in argv[1:]:
            if skip:
                skip = False
                continue
            if a in ("-cp", "-classpath", "--class-path", "--add-exports", "--add-opens"):
                skip = True
                continue
            if a.startswith("-"):
                continue
            return "java " + a.rsplit(".", 1)[-1]
    return exe


def sample():
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        # utime and stime are fields 14-15 of stat; start time is 22.
        ticks = int(fields[11]) + int(fields[12])
        key = (name, fields[19])
        entry = seen.get(key)
        if entry is None:
            entry = seen[key] = [tag(name), None, 0, 0]
        if entry[0] is not None:
            # Named at its first readings: a process first seen between its fork and its exec (a
            # shell starting a server) is named by what it runs. Not at every reading: with a few
            # hundred processes that cost the sampler a few percent of a core.
            if entry[3] < NAMINGS:
                entry[3] += 1
                prog = program(name)
                if prog != "?" or entry[1] is None:
                    entry[1] = prog
            entry[2] = ticks


def main():
    out = sys.argv[1]
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    while not stop:
        sample()
        time.sleep(INTERVAL)
    by_test = {}
    for test, prog, ticks, _ in seen.values():
        if test is None:
            continue
        t = by_test.setdefault(test, {})
        t[prog] = t.get(prog, 0) + ticks
    rows = sorted(by_test.items(), key=lambda kv: -sum(kv[1].values()))
    with open(out, "w") as f:
        for test, progs in rows:
            parts = sorted(progs.items(), key=lambda kv: -kv[1])
            f.write("%s\t%.1f\t%s\n" % (
                test, sum(progs.values()) / TICK,
                " ".join("%s=%.1f" % (p, v / TICK) for p, v in parts)))


main()

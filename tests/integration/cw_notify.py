#!/usr/bin/env python3
"""Stands in for systemd's notification socket in cert-watch's tests.

Binds a unix datagram socket at argv[1] and appends every message it
receives to argv[2], one line per message, newlines inside a message
written as " | ".  With argv[3], also appends each message there
preceded by the CLOCK_MONOTONIC time of its arrival in seconds.  Runs
until killed.
"""
import os
import socket
import sys
import time


def main():
    path, log = sys.argv[1], sys.argv[2]
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    times = open(sys.argv[3], "a", buffering=1) if len(sys.argv) > 3 \
        else None
    with open(log, "a", buffering=1) as out:
        while True:
            data = sock.recv(65536).decode("utf-8", "replace")
            line = data.strip("\n").replace("\n", " | ") + "\n"
            if times is not None:
                times.write("%.3f %s" % (time.monotonic(), line))
                times.flush()
            out.write(line)
            out.flush()
            os.fsync(out.fileno())


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Stands in for systemd's notification socket in cert-watch's tests.

Binds a unix datagram socket at argv[1] and appends every message it
receives to argv[2], one line per message, newlines inside a message
written as " | ".  Runs until killed.
"""
import os
import socket
import sys


def main():
    path, log = sys.argv[1], sys.argv[2]
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    with open(log, "a", buffering=1) as out:
        while True:
            data = sock.recv(65536).decode("utf-8", "replace")
            out.write(data.strip("\n").replace("\n", " | ") + "\n")
            out.flush()
            os.fsync(out.fileno())


if __name__ == "__main__":
    main()

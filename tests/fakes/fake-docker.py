#!/usr/bin/python3
"""A stand-in for the Docker Engine API on a unix socket, for tests.

    fake-docker.py SOCKET LOG [--api-version V] [--container NAME ...]

Answers GET /_ping with an Api-Version header, and for the containers
it was given: POST /vN/containers/NAME/restart and /kill (204), exec
create (201 with an Id), exec start (200) and exec inspect (Running
true on the first look, then false with ExitCode 1 when the command
was `false`, else 0; always true for `hang`).  A container named
`huge` answers with a 100 KiB body, one named `broken` with a 500 and
the message "engine failure (test)".  Anything else is a 404 with a
JSON message, as the engine gives.  Every request is appended to LOG
as one line: METHOD PATH BODY.
"""
import argparse
import json
import os
import re
import socketserver
from http.server import BaseHTTPRequestHandler


class Engine:
    def __init__(self, args):
        self.args = args
        self.execs = {}

    def log(self, line):
        with open(self.args.log, "a") as f:
            f.write(line + "\n")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def address_string(self):
        return "unix"

    def log_message(self, fmt, *args):
        pass

    def answer(self, code, obj=None):
        body = b"" if obj is None else json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Api-Version", self.server.engine.args.api_version)
        if obj is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def request_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n).decode() if n else ""

    def do_GET(self):
        self.route("GET", "")

    def do_POST(self):
        self.route("POST", self.request_body())

    def route(self, method, body):
        engine = self.server.engine
        engine.log(f"{method} {self.path} {body}".rstrip())
        if method == "GET" and self.path == "/_ping":
            return self.answer(200, "OK")
        m = re.fullmatch(r"/v1\.\d+/containers/([^/?]+)/(\w+)(\?.*)?",
                         self.path)
        if m and method == "POST":
            return self.container(m.group(1), m.group(2), body)
        m = re.fullmatch(r"/v1\.\d+/exec/(\w+)/(start|json)", self.path)
        if m and m.group(1) in engine.execs:
            return self.exec_op(m.group(1), m.group(2))
        self.answer(404, {"message": f"page not found: {self.path}"})

    def container(self, name, op, body):
        engine = self.server.engine
        if name == "huge":
            return self.answer(500, {"message": "x" * 100000})
        if name == "broken":
            return self.answer(500, {"message": "engine failure (test)"})
        if name not in engine.args.container:
            return self.answer(404, {"message":
                                     f"No such container: {name}"})
        if op in ("restart", "kill"):
            return self.answer(204)
        if op == "exec":
            cmd = json.loads(body).get("Cmd")
            eid = os.urandom(32).hex()
            engine.execs[eid] = {"cmd": cmd, "looks": 0}
            return self.answer(201, {"Id": eid})
        self.answer(404, {"message": f"unknown operation {op}"})

    def exec_op(self, eid, op):
        ex = self.server.engine.execs[eid]
        if op == "start":
            return self.answer(200)
        ex["looks"] += 1
        running = ex["looks"] == 1 or ex["cmd"] == ["hang"]
        code = 1 if ex["cmd"] == ["false"] else 0
        self.answer(200, {"ID": eid, "Running": running,
                          "ExitCode": None if running else code})


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


def main():
    p = argparse.ArgumentParser()
    p.add_argument("socket")
    p.add_argument("log")
    p.add_argument("--api-version", default="1.41")
    p.add_argument("--container", action="append", default=[])
    args = p.parse_args()
    server = Server(args.socket, Handler)
    server.engine = Engine(args)
    server.serve_forever()


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""A small ACME CA for fault tests, on real HTTPS over a loopback socket.

Pebble is the reference for correct behaviour; this CA exists to
misbehave on request.  It speaks enough of RFC 8555 for a correct
client to get a certificate (directory, newNonce, newAccount, newOrder,
authorizations, http-01 challenges, finalize, certificate download,
POST-as-GET) and offers RFC 9773 renewal information (renewalInfo in
the directory).  JWS requests are parsed (flattened JSON), their nonce,
url, jwk/kid and signature (ES256, ES384, RS256) checked; every answer
carries a fresh Replay-Nonce.  Certificates come from its own root and
intermediate, made at start-up.

Challenges: by default a challenge becomes valid as soon as it is
answered, without any fetch.  With --validate (or `validate=1` through
the control port) the CA fetches
http://127.0.0.1:HTTP01_PORT/.well-known/acme-challenge/TOKEN with the
domain as Host header and compares the key authorization.

Usage:
  fakeca.py --port P --control-port C --cert LISTENER.pem
      --key LISTENER.key [--http01-port N] [--validate]
      [--set KEY=VALUE]... [--fault SPEC]...

Control port (plain HTTP on 127.0.0.1):
  GET  /health            "ok"
  GET  /count/KIND        requests of one kind so far (a number)
  GET  /counts            {"kinds": {...}, "paths": {...}}
  POST /reset             counts to zero
  GET  /last/KIND         the last JWS payload of that kind, as JSON
  POST /fault  (SPEC)     adds a fault; GET /faults lists them
  POST /clear             removes every fault
  POST /set  (K=V,...)    changes settings (see SETTINGS)
  GET  /ca/chain          intermediate and root PEM, for openssl verify

A request meets at most one fault: the first in the list that matches.

KIND is one of: dir nonce new-account new-order acct order authz chall
finalize cert renewal-info revoke key-change, "post" (every POST) or
"any".

A fault SPEC is "name=NAME,key=value,...":
  on=KIND[+KIND]  which requests (default per fault, below)
  times=N         affect N matching requests, then stop (default: all)
  skip=N          let the first N matching requests through first
Faults:
  drop            close the connection without an answer (on=any)
  error           status code=N (default 503) with a serverInternal
                  problem and Retry-After: retry_after=SECS or
                  retry_date=OFFSET (an HTTP date OFFSET seconds from
                  now; negative is in the past) (on=any)
  503             the same as error
  stall           answer nothing for secs=N (default 3600) (on=any)
  badjson         200 with a truncated JSON body (on=any)
  html            an HTML page, status code=N (default 200) (on=any)
  ratelimit       429 rateLimited problem, with retry_after or
                  retry_date (on=new-order)
  subproblems     400 rejectedIdentifier problem with one subproblem
                  per identifier of the request (on=new-order)
  badnonce        400 badNonce (use times= for a storm) (on=post)
  processing      finalize leaves the order "processing" for ever;
                  retry_after=SECS goes on order polls (on=finalize)
  invalid         answering a challenge makes it, its authorization
                  and the order invalid, with an unauthorized error;
                  with on=order, fetching the order makes it invalid
                  (on=chall)
  pending         the authorization shows "pending" while the fault
                  lasts, with retry_after=SECS (on=authz)
  token           the challenge token becomes value=TEXT (default
                  ../../x) (on=authz)
  crlf            the certificate chain has CRLF line ends (on=cert)
  nochain         the certificate comes without its chain (on=cert)
  http-url        https:// URLs of the answer become http:// (on=dir)
  retry-after     a Retry-After: secs=N header on normal answers
                  (on=any)

SETTINGS (--set or POST /set): validity=SECS (certificate lifetime,
default 7776000), validate=0|1, processing_polls=N (order polls that
still show "processing" after finalize, default 1), ari_start=OFFSET
and ari_end=OFFSET (the suggested window, seconds from now; default the
last third of the lifetime), ari_retry_after=SECS (default 21600).
"""

import argparse
import base64
import datetime
import email.utils
import hashlib
import http.client
import http.server
import json
import os
import socket
import ssl
import sys
import threading
import time
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    encode_dss_signature)
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ERR = "urn:ietf:params:acme:error:"
MAX_BODY = 1 << 20
KINDS = ("dir", "nonce", "new-account", "new-order", "acct", "order",
         "authz", "chall", "finalize", "cert", "renewal-info", "revoke",
         "key-change")
# The kind each fault applies to when the spec names none.
DEFAULT_ON = {
    "ratelimit": "new-order", "subproblems": "new-order",
    "processing": "finalize", "invalid": "chall", "pending": "authz",
    "token": "authz", "crlf": "cert", "nochain": "cert", "http-url": "dir",
    "badnonce": "post",
}
FAULTS = ("drop", "error", "503", "stall", "badjson", "html", "ratelimit",
          "subproblems", "badnonce", "processing", "invalid", "pending",
          "token", "crlf", "nochain", "http-url", "retry-after")


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64u_dec(text):
    if not isinstance(text, str):
        raise ValueError("not a string")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def now():
    return datetime.datetime.now(datetime.timezone.utc)


def rfc3339(when):
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def log(msg):
    print("fakeca: " + msg, file=sys.stderr, flush=True)


class Problem(Exception):
    """An ACME problem document to answer with."""

    def __init__(self, status, kind, detail, headers=None, sub=None):
        super().__init__(detail)
        self.status = status
        self.doc = {"type": ERR + kind, "detail": detail}
        if sub:
            self.doc["subproblems"] = sub
        self.headers = headers or {}


class Fault:
    def __init__(self, spec):
        self.params = {}
        for item in spec.split(","):
            if not item.strip():
                continue
            key, sep, value = item.partition("=")
            if not sep:
                raise ValueError("fault item without '=': " + item)
            self.params[key.strip()] = value.strip()
        self.name = self.params.pop("name", "")
        if self.name not in FAULTS:
            raise ValueError("unknown fault name: " + self.name)
        on = self.params.pop("on", DEFAULT_ON.get(self.name, "any"))
        self.on = set(on.split("+"))
        for kind in self.on:
            if kind not in ("any", "post") and kind not in KINDS:
                raise ValueError("unknown kind: " + kind)
        self.times = int(self.params.pop("times", "-1"))
        self.skip = int(self.params.pop("skip", "0"))
        self.spec = spec

    def get(self, key, default=None):
        return self.params.get(key, default)

    def take(self, kind, method):
        """Whether this fault hits the current request of KIND."""
        if "any" not in self.on and kind not in self.on and \
                not ("post" in self.on and method == "POST"):
            return False
        if self.skip > 0:
            self.skip -= 1
            return False
        if self.times == 0:
            return False
        if self.times > 0:
            self.times -= 1
        return True


def retry_after_header(fault):
    """Retry-After from retry_after=SECS or retry_date=OFFSET."""
    if fault.get("retry_date") is not None:
        when = time.time() + int(fault.get("retry_date"))
        return {"Retry-After": email.utils.formatdate(when, usegmt=True)}
    if fault.get("retry_after") is not None:
        return {"Retry-After": fault.get("retry_after")}
    return {}


# --- keys and certificates -------------------------------------------------

def jwk_public_key(jwk):
    kty = jwk.get("kty")
    if kty == "EC":
        curves = {"P-256": ec.SECP256R1(), "P-384": ec.SECP384R1()}
        curve = curves.get(jwk.get("crv"))
        if curve is None:
            raise ValueError("unsupported curve")
        x = int.from_bytes(b64u_dec(jwk["x"]), "big")
        y = int.from_bytes(b64u_dec(jwk["y"]), "big")
        return ec.EllipticCurvePublicNumbers(x, y, curve).public_key()
    if kty == "RSA":
        n = int.from_bytes(b64u_dec(jwk["n"]), "big")
        e = int.from_bytes(b64u_dec(jwk["e"]), "big")
        return rsa.RSAPublicNumbers(e, n).public_key()
    raise ValueError("unsupported kty")


def jwk_thumbprint(jwk):
    members = {"EC": ("crv", "kty", "x", "y"), "RSA": ("e", "kty", "n")}
    need = members[jwk["kty"]]
    text = json.dumps({k: jwk[k] for k in need}, sort_keys=True,
                      separators=(",", ":"))
    return b64u(hashlib.sha256(text.encode()).digest())


def verify_signature(alg, jwk, data, sig):
    key = jwk_public_key(jwk)
    if alg in ("ES256", "ES384"):
        size, hsh = (32, hashes.SHA256()) if alg == "ES256" else \
            (48, hashes.SHA384())
        if not isinstance(key, ec.EllipticCurvePublicKey) or \
                key.curve.key_size != size * 8:
            raise ValueError("key does not match " + alg)
        if len(sig) != 2 * size:
            raise ValueError("signature is not R||S of %d bytes" % size)
        r = int.from_bytes(sig[:size], "big")
        s = int.from_bytes(sig[size:], "big")
        key.verify(encode_dss_signature(r, s), data, ec.ECDSA(hsh))
    elif alg == "RS256":
        if not isinstance(key, rsa.RSAPublicKey):
            raise ValueError("key does not match RS256")
        key.verify(sig, data, padding.PKCS1v15(), hashes.SHA256())
    else:
        raise ValueError("unsupported alg " + str(alg))


def make_ca_cert(name, key, issuer_cert, issuer_key):
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    issuer = issuer_cert.subject if issuer_cert else subject
    builder = (x509.CertificateBuilder()
               .subject_name(subject).issuer_name(issuer)
               .public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now() - datetime.timedelta(days=1))
               .not_valid_after(now() + datetime.timedelta(days=3650))
               .add_extension(x509.BasicConstraints(ca=True,
                                                    path_length=None),
                              critical=True)
               .add_extension(x509.KeyUsage(
                   digital_signature=True, key_cert_sign=True,
                   crl_sign=True, content_commitment=False,
                   key_encipherment=False, data_encipherment=False,
                   key_agreement=False, encipher_only=False,
                   decipher_only=False), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(
                   key.public_key()), critical=False))
    signer = issuer_key or key
    return builder.sign(signer, hashes.SHA256())


def cert_id(cert):
    """The RFC 9773 CertID: AKI keyIdentifier "." DER serial bytes."""
    aki = cert.extensions.get_extension_for_class(
        x509.AuthorityKeyIdentifier).value.key_identifier
    serial = cert.serial_number
    raw = serial.to_bytes((serial.bit_length() + 8) // 8, "big")
    return b64u(aki) + "." + b64u(raw)


class Issuer:
    def __init__(self):
        tag = os.urandom(3).hex()
        self.root_key = ec.generate_private_key(ec.SECP256R1())
        self.root = make_ca_cert("fakeca root " + tag, self.root_key,
                                 None, None)
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.cert = make_ca_cert("fakeca intermediate " + tag, self.key,
                                 self.root, self.root_key)

    def pem(self, cert):
        return cert.public_bytes(serialization.Encoding.PEM).decode()

    def issue(self, csr, names, validity):
        start = now() - datetime.timedelta(seconds=60)
        san = x509.SubjectAlternativeName([x509.DNSName(n)
                                           for n in names])
        ski = self.cert.extensions.get_extension_for_class(
            x509.SubjectKeyIdentifier).value
        builder = (x509.CertificateBuilder()
                   .subject_name(x509.Name([x509.NameAttribute(
                       NameOID.COMMON_NAME, names[0])]))
                   .issuer_name(self.cert.subject)
                   .public_key(csr.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(start)
                   .not_valid_after(start + datetime.timedelta(
                       seconds=validity + 60))
                   .add_extension(san, critical=False)
                   .add_extension(x509.BasicConstraints(
                       ca=False, path_length=None), critical=True)
                   .add_extension(x509.ExtendedKeyUsage(
                       [ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                   .add_extension(x509.AuthorityKeyIdentifier
                                  .from_issuer_subject_key_identifier(ski),
                                  critical=False))
        return builder.sign(self.key, hashes.SHA256())


# --- the CA's state ----------------------------------------------------------

class State:
    """Accounts, orders, authorizations, certificates; one lock."""

    def __init__(self, settings):
        self.lock = threading.Lock()
        self.nonces = set()
        self.accounts = {}
        self.orders = {}
        self.authzs = {}
        self.certs = {}
        self.by_certid = {}
        self.kinds = {}
        self.paths = {}
        self.last = {}
        self.faults = []
        self.settings = settings
        self.next_id = 1
        self.issuer = Issuer()

    def new_id(self):
        self.next_id += 1
        return str(self.next_id)

    def nonce(self):
        with self.lock:
            value = b64u(os.urandom(16))
            self.nonces.add(value)
            return value

    def use_nonce(self, value):
        with self.lock:
            if value in self.nonces:
                self.nonces.discard(value)
                return True
            return False

    def count(self, kind, path):
        with self.lock:
            self.kinds[kind] = self.kinds.get(kind, 0) + 1
            self.paths[path] = self.paths.get(path, 0) + 1

    def fault_for(self, kind, method):
        with self.lock:
            for fault in self.faults:
                if fault.take(kind, method):
                    return fault
        return None


# --- the ACME server -------------------------------------------------------

def classify(path):
    parts = path.strip("/").split("/")
    head = parts[0] if parts else ""
    ident = "/".join(parts[1:])
    return (head if head in KINDS else "other"), ident


class Reply:
    def __init__(self, status, body=b"", ctype="application/json",
                 headers=None):
        if isinstance(body, (dict, list)):
            body = json.dumps(body, indent=1).encode()
        elif isinstance(body, str):
            body = body.encode()
        self.status = status
        self.body = body
        self.ctype = ctype
        self.headers = dict(headers or {})


# What active_fault returns when the connection was closed unanswered.
DROPPED = object()


class ACMEHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fakeca"
    timeout = 60

    def setup(self):
        # The TLS handshake runs here, in the connection's own thread,
        # so that a client that stalls in it holds up nobody else.
        self.request.settimeout(self.timeout)
        self.request.do_handshake()
        super().setup()

    def log_message(self, format, *args):
        log("%s %s" % (self.address_string(), format % args))

    def do_GET(self):
        self.dispatch("GET")

    def do_HEAD(self):
        self.dispatch("HEAD")

    def do_POST(self):
        self.dispatch("POST")

    # -- plumbing --

    @property
    def st(self):
        return self.server.state

    def base(self):
        return "https://127.0.0.1:%d" % self.server.server_address[1]

    def url(self, *parts):
        return self.base() + "/" + "/".join(parts)

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise Problem(413, "malformed", "body too large")
        return self.rfile.read(length) if length else b""

    def send(self, reply):
        self.send_response(reply.status)
        if reply.status != 204:
            self.send_header("Content-Type", reply.ctype)
        self.send_header("Content-Length", str(len(reply.body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Replay-Nonce", self.st.nonce())
        self.send_header("Link", '<%s>;rel="index"' % self.url("dir"))
        for key, value in reply.headers.items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply.body)

    def drop(self):
        self.close_connection = True
        try:
            self.request.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def dispatch(self, method):
        path = urlsplit(self.path).path
        kind, ident = classify(path)
        self.st.count(kind, path)
        fault = None
        try:
            body = self.read_body() if method == "POST" else b""
            fault = self.st.fault_for(kind, method)
            if fault is not None:
                log("%s %s: fault %s" % (method, path, fault.spec))
            reply = self.active_fault(fault, kind, body)
            if reply is DROPPED:
                return
            if reply is None:
                reply = self.route(method, kind, ident, body, fault)
            if fault is not None:
                self.passive_fault(fault, reply)
        except Problem as p:
            reply = Reply(p.status, p.doc, "application/problem+json",
                          p.headers)
        self.send(reply)

    # -- faults --

    def active_fault(self, fault, kind, body):
        """Faults that replace the answer; None when none applies."""
        if fault is None:
            return None
        name = fault.name
        if name == "drop":
            self.drop()
            return DROPPED
        if name == "stall":
            time.sleep(float(fault.get("secs", "3600")))
            self.drop()
            return DROPPED
        if name in ("error", "503"):
            raise Problem(int(fault.get("code", "503")), "serverInternal",
                          "the CA is unavailable, try later",
                          retry_after_header(fault))
        if name == "badjson":
            return Reply(200, '{"status": "valid", "identifiers": [')
        if name == "html":
            return Reply(int(fault.get("code", "200")),
                         "<html><body><h1>Gateway</h1></body></html>\n",
                         "text/html")
        if name == "ratelimit":
            raise Problem(429, "rateLimited",
                          "too many new orders for this account",
                          retry_after_header(fault))
        if name == "subproblems":
            raise self.subproblems(body)
        if name == "badnonce":
            raise Problem(400, "badNonce", "JWS has an invalid nonce")
        return None

    def subproblems(self, body):
        sub = []
        try:
            payload = json.loads(b64u_dec(json.loads(body)["payload"]))
            idents = payload["identifiers"]
        except (ValueError, KeyError, TypeError):
            idents = [{"type": "dns", "value": "unknown.example"}]
        for ident in idents:
            sub.append({"type": ERR + "rejectedIdentifier",
                        "detail": "%s is forbidden by policy" %
                        ident.get("value"),
                        "identifier": ident})
        return Problem(400, "rejectedIdentifier",
                       "some identifiers were rejected", sub=sub)

    def passive_fault(self, fault, reply):
        if fault.name == "http-url":
            base = self.base().encode()
            plain = base.replace(b"https://", b"http://")
            reply.body = reply.body.replace(base, plain)
            for key, value in reply.headers.items():
                reply.headers[key] = value.replace(self.base(),
                                                   plain.decode())
        elif fault.name == "retry-after":
            reply.headers["Retry-After"] = fault.get("secs", "1")

    # -- JWS --

    def jws(self, kind, body):
        """Parses and checks a flattened JWS; (payload, account, jwk)."""
        if self.headers.get("Content-Type") != "application/jose+json":
            raise Problem(415, "malformed",
                          "Content-Type must be application/jose+json")
        try:
            jws = json.loads(body)
            prot = json.loads(b64u_dec(jws["protected"]))
            payload_raw = b64u_dec(jws["payload"])
            sig = b64u_dec(jws["signature"])
        except (ValueError, KeyError, TypeError) as e:
            raise Problem(400, "malformed", "not a flattened JWS: %s" % e)
        if not isinstance(prot, dict):
            raise Problem(400, "malformed", "protected header not object")
        if not self.st.use_nonce(prot.get("nonce")):
            raise Problem(400, "badNonce", "JWS has an invalid nonce")
        want = self.base() + self.path
        if prot.get("url") != want:
            raise Problem(401, "unauthorized",
                          "url %r, want %r" % (prot.get("url"), want))
        account, jwk = self.jws_key(kind, prot)
        data = (jws["protected"] + "." + jws["payload"]).encode()
        try:
            verify_signature(prot.get("alg"), jwk, data, sig)
        except (ValueError, KeyError, InvalidSignature) as e:
            raise Problem(400, "malformed",
                          "JWS signature does not verify: %s" % e)
        payload = None
        if payload_raw:
            try:
                payload = json.loads(payload_raw)
            except ValueError:
                raise Problem(400, "malformed", "payload is not JSON")
        with self.st.lock:
            self.st.last[kind] = payload
        return payload, account, jwk

    def jws_key(self, kind, prot):
        has_jwk, has_kid = "jwk" in prot, "kid" in prot
        if has_jwk == has_kid:
            raise Problem(400, "malformed", "need exactly one of jwk, kid")
        if kind == "new-account":
            if not has_jwk:
                raise Problem(400, "malformed", "newAccount needs jwk")
            return None, prot["jwk"]
        if has_jwk:
            raise Problem(400, "malformed", "this request needs kid")
        prefix = self.url("acct") + "/"
        kid = prot["kid"]
        acct = None
        if isinstance(kid, str) and kid.startswith(prefix):
            acct = self.st.accounts.get(kid[len(prefix):])
        if acct is None:
            raise Problem(400, "accountDoesNotExist",
                          "unknown account %r" % kid)
        return acct, acct["jwk"]

    def post_as_get(self, kind, body):
        payload, acct, _ = self.jws(kind, body)
        if payload is not None:
            raise Problem(400, "malformed",
                          "POST-as-GET must have an empty payload")
        return acct

    # -- routes --

    def route(self, method, kind, ident, body, fault):
        if kind == "other":
            raise Problem(404, "malformed", "no such resource")
        if kind == "dir" and method in ("GET", "HEAD"):
            return Reply(200, self.directory())
        if kind == "nonce":
            return Reply(200 if method == "HEAD" else 204)
        if kind == "renewal-info" and method in ("GET", "HEAD"):
            return self.renewal_info(ident)
        if method != "POST":
            raise Problem(405, "malformed", "method not allowed")
        handler = {
            "new-account": self.new_account, "new-order": self.new_order,
            "acct": self.account, "order": self.order,
            "authz": self.authz, "chall": self.chall,
            "finalize": self.finalize, "cert": self.cert,
            "revoke": self.revoke, "key-change": self.key_change,
        }.get(kind)
        if handler is None:
            raise Problem(404, "malformed", "no such resource")
        return handler(ident, body, fault)

    def directory(self):
        return {
            "newNonce": self.url("nonce"),
            "newAccount": self.url("new-account"),
            "newOrder": self.url("new-order"),
            "revokeCert": self.url("revoke"),
            "keyChange": self.url("key-change"),
            "renewalInfo": self.url("renewal-info"),
            "meta": {"termsOfService":
                     "data:text/plain,fake%20terms"},
        }

    def acct_json(self, acct):
        return {"status": "valid", "contact": acct["contact"],
                "orders": self.url("acct", acct["id"], "orders")}

    def new_account(self, ident, body, fault):
        payload, _, jwk = self.jws("new-account", body)
        payload = payload or {}
        thumb = jwk_thumbprint(jwk)
        with self.st.lock:
            acct = next((a for a in self.st.accounts.values()
                         if a["thumb"] == thumb), None)
        if acct is not None:
            return Reply(200, self.acct_json(acct), headers={
                "Location": self.url("acct", acct["id"])})
        if payload.get("onlyReturnExisting"):
            raise Problem(400, "accountDoesNotExist", "no such account")
        if payload.get("termsOfServiceAgreed") is not True:
            raise Problem(403, "userActionRequired",
                          "terms of service not agreed")
        with self.st.lock:
            acct = {"id": self.st.new_id(), "jwk": jwk, "thumb": thumb,
                    "contact": payload.get("contact", [])}
            self.st.accounts[acct["id"]] = acct
        return Reply(201, self.acct_json(acct), headers={
            "Location": self.url("acct", acct["id"])})

    def account(self, ident, body, fault):
        _, acct, _ = self.jws("acct", body)
        if acct["id"] != ident.split("/")[0]:
            raise Problem(403, "unauthorized", "not your account")
        return Reply(200, self.acct_json(acct))

    def new_order(self, ident, body, fault):
        payload, acct, _ = self.jws("new-order", body)
        try:
            idents = payload["identifiers"]
            names = [i["value"] for i in idents if i["type"] == "dns"]
        except (TypeError, KeyError):
            raise Problem(400, "malformed", "bad identifiers")
        if not names or len(names) != len(idents):
            raise Problem(400, "malformed", "need dns identifiers")
        with self.st.lock:
            order = {"id": self.st.new_id(), "acct": acct["id"],
                     "names": names, "status": "pending", "authzs": [],
                     "cert": None, "error": None, "stuck": False,
                     "polls": 0, "retry_after": None,
                     "replaces": payload.get("replaces"),
                     "expires": rfc3339(now() + datetime.timedelta(
                         days=7))}
            for name in names:
                authz = {"id": self.st.new_id(), "order": order["id"],
                         "name": name, "status": "pending",
                         "token": b64u(os.urandom(32)),
                         "chall_status": "pending", "error": None,
                         "thumb": acct["thumb"]}
                self.st.authzs[authz["id"]] = authz
                order["authzs"].append(authz["id"])
            self.st.orders[order["id"]] = order
        return Reply(201, self.order_json(order), headers={
            "Location": self.url("order", order["id"])})

    def order_json(self, order):
        doc = {"status": order["status"], "expires": order["expires"],
               "identifiers": [{"type": "dns", "value": n}
                               for n in order["names"]],
               "authorizations": [self.url("authz", a)
                                  for a in order["authzs"]],
               "finalize": self.url("finalize", order["id"])}
        if order["cert"]:
            doc["certificate"] = self.url("cert", order["cert"])
        if order["error"]:
            doc["error"] = order["error"]
        return doc

    def own_order(self, acct, ident):
        order = self.st.orders.get(ident)
        if order is None:
            raise Problem(404, "malformed", "no such order")
        if order["acct"] != acct["id"]:
            raise Problem(403, "unauthorized", "not your order")
        return order

    def order(self, ident, body, fault):
        acct = self.post_as_get("order", body)
        headers = {}
        with self.st.lock:
            order = self.own_order(acct, ident)
            if fault is not None and fault.name == "invalid":
                order["status"] = "invalid"
                order["error"] = {"type": ERR + "serverInternal",
                                  "detail": "the order was abandoned"}
            if order["status"] == "processing" and not order["stuck"]:
                order["polls"] += 1
                if order["polls"] > \
                        int(self.st.settings["processing_polls"]):
                    order["status"] = "valid"
            if order["status"] == "processing" and order["retry_after"]:
                headers["Retry-After"] = order["retry_after"]
            doc = self.order_json(order)
        return Reply(200, doc, headers=headers)

    def authz_json(self, authz, fault):
        status, cstatus = authz["status"], authz["chall_status"]
        token = authz["token"]
        if fault is not None and fault.name == "pending":
            status, cstatus = "pending", "processing"
        if fault is not None and fault.name == "token":
            token = fault.get("value", "../../x")
        chall = {"type": "http-01", "url": self.url("chall", authz["id"]),
                 "token": token, "status": cstatus}
        if authz["error"]:
            chall["error"] = authz["error"]
        if cstatus == "valid":
            chall["validated"] = rfc3339(now())
        return {"status": status,
                "identifier": {"type": "dns", "value": authz["name"]},
                "expires": rfc3339(now() + datetime.timedelta(days=7)),
                "challenges": [chall]}

    def own_authz(self, acct, ident):
        authz = self.st.authzs.get(ident)
        if authz is None:
            raise Problem(404, "malformed", "no such authorization")
        if self.st.orders[authz["order"]]["acct"] != acct["id"]:
            raise Problem(403, "unauthorized", "not your authorization")
        return authz

    def authz(self, ident, body, fault):
        acct = self.post_as_get("authz", body)
        headers = {}
        if fault is not None and fault.get("retry_after"):
            headers["Retry-After"] = fault.get("retry_after")
        with self.st.lock:
            doc = self.authz_json(self.own_authz(acct, ident), fault)
        return Reply(200, doc, headers=headers)

    def chall(self, ident, body, fault):
        payload, acct, _ = self.jws("chall", body)
        with self.st.lock:
            authz = self.own_authz(acct, ident)
        if payload is None:
            # POST-as-GET of the challenge itself.
            pass
        elif payload != {}:
            raise Problem(400, "malformed", "challenge payload must be {}")
        elif authz["chall_status"] == "pending":
            if fault is not None and fault.name == "invalid":
                self.fail_authz(authz, "the CA was told to refuse it")
            elif self.st.settings["validate"] == "1":
                self.set_chall(authz, "processing", None)
                threading.Thread(target=self.validate, args=(authz,),
                                 daemon=True).start()
            else:
                self.set_chall(authz, "valid", None)
        with self.st.lock:
            doc = self.authz_json(authz, None)["challenges"][0]
        return Reply(200, doc, headers={
            "Link": '<%s>;rel="up"' % self.url("authz", ident)})

    def set_chall(self, authz, status, error):
        with self.st.lock:
            authz["chall_status"] = status
            if status in ("valid", "invalid"):
                authz["status"] = status
            authz["error"] = error
            order = self.st.orders[authz["order"]]
            states = [self.st.authzs[a]["status"] for a in order["authzs"]]
            if order["status"] != "pending":
                return
            if "invalid" in states:
                order["status"] = "invalid"
                order["error"] = error
            elif all(s == "valid" for s in states):
                order["status"] = "ready"

    def fail_authz(self, authz, why):
        url = "http://%s/.well-known/acme-challenge/%s" % (
            authz["name"], authz["token"])
        self.set_chall(authz, "invalid", {
            "type": ERR + "unauthorized",
            "detail": "fetching %s: %s" % (url, why)})

    def validate(self, authz):
        port = int(self.st.settings["http01_port"])
        want = authz["token"] + "." + authz["thumb"]
        path = "/.well-known/acme-challenge/" + authz["token"]
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", path, headers={"Host": authz["name"]})
            resp = conn.getresponse()
            got = resp.read(4096).decode(errors="replace").strip()
            conn.close()
        except (OSError, http.client.HTTPException) as e:
            self.fail_authz(authz, "connection failed: %s" % e)
            return
        if resp.status != 200:
            self.fail_authz(authz, "status %d" % resp.status)
        elif got != want:
            self.fail_authz(authz, "wrong key authorization %r" % got)
        else:
            self.set_chall(authz, "valid", None)

    def finalize(self, ident, body, fault):
        payload, acct, _ = self.jws("finalize", body)
        with self.st.lock:
            order = self.own_order(acct, ident)
            if order["status"] != "ready":
                raise Problem(403, "orderNotReady",
                              "order is %s" % order["status"])
        try:
            csr = x509.load_der_x509_csr(b64u_dec(payload["csr"]))
        except (ValueError, KeyError, TypeError) as e:
            raise Problem(400, "badCSR", "cannot parse the CSR: %s" % e)
        self.check_csr(csr, order["names"])
        validity = int(self.st.settings["validity"])
        leaf = self.st.issuer.issue(csr, order["names"], validity)
        with self.st.lock:
            cid = self.st.new_id()
            self.st.certs[cid] = leaf
            self.st.by_certid[cert_id(leaf)] = leaf
            order["cert"] = cid
            order["status"] = "processing"
            if fault is not None and fault.name == "processing":
                order["stuck"] = True
                order["cert"] = None
                order["retry_after"] = fault.get("retry_after")
            elif int(self.st.settings["processing_polls"]) == 0:
                order["status"] = "valid"
            doc = self.order_json(order)
        return Reply(200, doc, headers={
            "Location": self.url("order", ident)})

    def check_csr(self, csr, names):
        if not csr.is_signature_valid:
            raise Problem(400, "badCSR", "CSR signature does not verify")
        try:
            san = csr.extensions.get_extension_for_class(
                x509.SubjectAlternativeName).value
            got = san.get_values_for_type(x509.DNSName)
        except x509.ExtensionNotFound:
            got = []
        if sorted(set(got)) != sorted(set(names)):
            raise Problem(400, "badCSR", "CSR names %s, order names %s"
                          % (sorted(got), sorted(names)))

    def cert(self, ident, body, fault):
        acct = self.post_as_get("cert", body)
        with self.st.lock:
            leaf = self.st.certs.get(ident)
            owner = next((o for o in self.st.orders.values()
                          if o["cert"] == ident), None)
        if leaf is None or owner is None:
            raise Problem(404, "malformed", "no such certificate")
        if owner["acct"] != acct["id"]:
            raise Problem(403, "unauthorized", "not your certificate")
        pem = self.st.issuer.pem(leaf) + self.st.issuer.pem(
            self.st.issuer.cert)
        if fault is not None and fault.name == "crlf":
            pem = pem.replace("\n", "\r\n")
        if fault is not None and fault.name == "nochain":
            pem = self.st.issuer.pem(leaf)
        return Reply(200, pem, "application/pem-certificate-chain")

    def renewal_info(self, ident):
        with self.st.lock:
            leaf = self.st.by_certid.get(ident)
            settings = dict(self.st.settings)
        if leaf is None:
            raise Problem(404, "malformed", "unknown certificate %r" % ident)
        start_t = leaf.not_valid_before.replace(
            tzinfo=datetime.timezone.utc)
        end_t = leaf.not_valid_after.replace(tzinfo=datetime.timezone.utc)
        life = end_t - start_t
        start, end = end_t - life / 3, end_t - life / 6
        if settings.get("ari_start") is not None:
            start = now() + datetime.timedelta(
                seconds=int(settings["ari_start"]))
        if settings.get("ari_end") is not None:
            end = now() + datetime.timedelta(
                seconds=int(settings["ari_end"]))
        doc = {"suggestedWindow": {"start": rfc3339(start),
                                   "end": rfc3339(end)}}
        return Reply(200, doc, headers={
            "Retry-After": str(settings["ari_retry_after"])})

    def revoke(self, ident, body, fault):
        self.jws("revoke", body)
        return Reply(200)

    def key_change(self, ident, body, fault):
        raise Problem(501, "malformed", "keyChange is not offered")


class ACMEServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        log("connection from %s: %s" % (client_address[0],
                                         sys.exc_info()[1]))


# --- control port -----------------------------------------------------------

class ControlHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        pass

    def reply(self, status, text, ctype="text/plain"):
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        st = self.server.state
        path = self.path.rstrip("/")
        with st.lock:
            if path == "/health":
                return self.reply(200, "ok\n")
            if path.startswith("/count/"):
                return self.reply(200, "%d\n" % st.kinds.get(
                    path[len("/count/"):], 0))
            if path == "/counts":
                return self.reply(200, json.dumps(
                    {"kinds": st.kinds, "paths": st.paths}, indent=1),
                    "application/json")
            if path.startswith("/last/"):
                kind = path[len("/last/"):]
                if kind not in st.last:
                    return self.reply(404, "none\n")
                return self.reply(200, json.dumps(st.last[kind]) + "\n",
                                  "application/json")
            if path == "/faults":
                return self.reply(200, "".join(
                    "%s (times left %d)\n" % (f.spec, f.times)
                    for f in st.faults))
            if path == "/ca/chain":
                return self.reply(200, st.issuer.pem(st.issuer.cert) +
                                  st.issuer.pem(st.issuer.root))
        return self.reply(404, "unknown control path\n")

    def do_POST(self):
        st = self.server.state
        length = int(self.headers.get("Content-Length") or 0)
        text = self.rfile.read(length).decode().strip()
        path = self.path.rstrip("/")
        try:
            with st.lock:
                if path == "/fault":
                    st.faults.append(Fault(text))
                elif path == "/clear":
                    st.faults.clear()
                elif path == "/reset":
                    st.kinds.clear()
                    st.paths.clear()
                elif path == "/set":
                    apply_settings(st.settings, text.split(","))
                else:
                    return self.reply(404, "unknown control path\n")
        except ValueError as e:
            return self.reply(400, "%s\n" % e)
        log("control %s %s" % (path, text))
        return self.reply(200, "ok\n")


SETTING_KEYS = ("validity", "validate", "processing_polls", "ari_start",
                "ari_end", "ari_retry_after", "http01_port")


def apply_settings(settings, items):
    for item in items:
        if not item.strip():
            continue
        key, sep, value = item.strip().partition("=")
        if not sep or key not in SETTING_KEYS:
            raise ValueError("unknown setting: " + item)
        if value == "default" and key.startswith("ari_") and \
                key != "ari_retry_after":
            settings[key] = None
            continue
        int(value)
        settings[key] = value


def serve(server):
    threading.Thread(target=server.serve_forever, daemon=True).start()


def main():
    ap = argparse.ArgumentParser(description="a misbehaving ACME CA")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--control-port", type=int, required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--http01-port", type=int, default=0)
    ap.add_argument("--validate", action="store_true")
    ap.add_argument("--set", action="append", default=[])
    ap.add_argument("--fault", action="append", default=[])
    args = ap.parse_args()

    settings = {"validity": "7776000", "processing_polls": "1",
                "validate": "1" if args.validate else "0",
                "ari_start": None, "ari_end": None,
                "ari_retry_after": "21600",
                "http01_port": str(args.http01_port)}
    try:
        apply_settings(settings, args.set)
        faults = [Fault(spec) for spec in args.fault]
    except ValueError as e:
        ap.error(str(e))
    state = State(settings)
    state.faults.extend(faults)

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    acme = ACMEServer(("127.0.0.1", args.port), ACMEHandler)
    acme.socket = ctx.wrap_socket(acme.socket, server_side=True,
                                  do_handshake_on_connect=False)
    acme.state = state
    control = http.server.ThreadingHTTPServer(
        ("127.0.0.1", args.control_port), ControlHandler)
    control.daemon_threads = True
    control.state = state
    serve(acme)
    log("ACME on https://127.0.0.1:%d/dir, control on "
        "http://127.0.0.1:%d" % (args.port, args.control_port))
    control.serve_forever()


if __name__ == "__main__":
    main()

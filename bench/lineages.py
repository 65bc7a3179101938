"""lineages.py LIVE KEY CERTS: one certbot-style lineage per file of
CERTS (named for it): archive/NAME/{cert,chain,fullchain,privkey}1.pem
beside LIVE, and LIVE/NAME/*.pem links to them."""
import os
import shutil
import sys

live, key, certs = sys.argv[1:4]
archive = os.path.join(os.path.dirname(live), "archive")
with open(key, "rb") as f:
    key_pem = f.read()
for name in os.listdir(certs):
    with open(os.path.join(certs, name), "rb") as f:
        cert = f.read()
    arch = os.path.join(archive, name)
    os.makedirs(arch, mode=0o700, exist_ok=True)
    os.makedirs(os.path.join(live, name), mode=0o700, exist_ok=True)
    for kind, data in (("cert", cert), ("chain", cert),
                       ("fullchain", cert), ("privkey", key_pem)):
        path = os.path.join(arch, kind + "1.pem")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.symlink(os.path.join("..", "..", "archive", name, kind + "1.pem"),
                   os.path.join(live, name, kind + ".pem"))
shutil.rmtree(certs)

"""Credentials for one simulator run: a CA, a server and a client certificate, a kubeconfig.

Made with the openssl command line (EC P-256 keys: fast to generate) in the
state directory, fresh on every start, so nothing secret is ever committed.
"""

import base64
import os
import subprocess

SERVER_NAMES = ("127.0.0.1", "localhost")
CLIENT_CN = "sim-cert-admin"
CLIENT_ORG = "system:masters"


def _openssl(*args, cwd):
    subprocess.run(("openssl",) + args, cwd=cwd, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE)


def _key(name, d):
    _openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", name, cwd=d)


def make(d):
    """Create ca.crt/key, server.crt/key, client.crt/key in d; returns their paths."""
    _key("ca.key", d)
    _openssl("req", "-x509", "-new", "-key", "ca.key", "-sha256", "-days", "3650",
             "-subj", "/CN=sim-kubernetes-ca", "-out", "ca.crt", cwd=d)
    _key("server.key", d)
    with open(os.path.join(d, "server.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,"
                "DNS:kubernetes.default.svc\n"
                "extendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyEncipherment\n")
    _openssl("req", "-new", "-key", "server.key", "-subj", "/CN=kube-apiserver",
             "-out", "server.csr", cwd=d)
    _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
             "-CAcreateserial", "-days", "3650", "-sha256", "-extfile", "server.ext",
             "-out", "server.crt", cwd=d)
    _key("client.key", d)
    with open(os.path.join(d, "client.ext"), "w") as f:
        f.write("extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature,keyEncipherment\n")
    _openssl("req", "-new", "-key", "client.key", "-subj",
             "/O=%s/CN=%s" % (CLIENT_ORG, CLIENT_CN), "-out", "client.csr", cwd=d)
    _openssl("x509", "-req", "-in", "client.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
             "-CAcreateserial", "-days", "3650", "-sha256", "-extfile", "client.ext",
             "-out", "client.crt", cwd=d)
    for f in ("server.csr", "client.csr", "server.ext", "client.ext", "ca.srl"):
        try:
            os.unlink(os.path.join(d, f))
        except OSError:
            pass
    os.chmod(os.path.join(d, "client.key"), 0o600)
    os.chmod(os.path.join(d, "server.key"), 0o600)
    return {k: os.path.join(d, k) for k in ("ca.crt", "server.crt", "server.key", "client.crt",
                                           "client.key")}


def _b64(path):
    with open(path, "rb") as f:
        return base64.b64encode(f.read()).decode()


def kubeconfig(d, port, tokens):
    """Write DIR/kubeconfig (and DIR/token for tokenFile users); returns its path.

    tokens: {"admin": ..., "viewer": ..., "expired": ...}
    """
    ca = _b64(os.path.join(d, "ca.crt"))
    crt = _b64(os.path.join(d, "client.crt"))
    key = _b64(os.path.join(d, "client.key"))
    token_file = os.path.join(d, "token")
    with open(token_file, "w") as f:
        f.write(tokens["admin"] + "\n")
    server = "https://127.0.0.1:%d" % port
    text = """apiVersion: v1
kind: Config
preferences: {}
clusters:
- name: sim
  cluster:
    server: %(server)s
    certificate-authority-data: %(ca)s
- name: sim-tls-mismatch
  cluster:
    server: %(server)s
    certificate-authority-data: %(ca)s
    tls-server-name: wrong-name.example.com
- name: sim-untrusted
  cluster:
    server: %(server)s
- name: sim-insecure
  cluster:
    server: %(server)s
    insecure-skip-tls-verify: true
users:
- name: sim-token
  user:
    token: %(admin)s
- name: sim-token-file
  user:
    tokenFile: %(token_file)s
- name: sim-cert
  user:
    client-certificate-data: %(crt)s
    client-key-data: %(key)s
- name: sim-viewer
  user:
    token: %(viewer)s
- name: sim-expired
  user:
    token: %(expired)s
- name: sim-anonymous
  user: {}
contexts:
- name: sim
  context:
    cluster: sim
    user: sim-token
    namespace: default
- name: sim-token-file
  context:
    cluster: sim
    user: sim-token-file
- name: sim-cert
  context:
    cluster: sim
    user: sim-cert
- name: sim-viewer
  context:
    cluster: sim
    user: sim-viewer
- name: sim-expired
  context:
    cluster: sim
    user: sim-expired
- name: sim-anonymous
  context:
    cluster: sim
    user: sim-anonymous
- name: sim-tls-mismatch
  context:
    cluster: sim-tls-mismatch
    user: sim-token
- name: sim-untrusted
  context:
    cluster: sim-untrusted
    user: sim-token
- name: sim-insecure
  context:
    cluster: sim-insecure
    user: sim-token
current-context: sim
""" % dict(server=server, ca=ca, crt=crt, key=key, token_file=token_file, **tokens)
    path = os.path.join(d, "kubeconfig")
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o600)
    return path

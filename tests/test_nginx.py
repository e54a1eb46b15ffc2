"""The tested deployment: Debian's nginx, configured from ``deploy/nginx/quisait.conf``,
terminates TLS on 127.0.0.1, authenticates people (HTTP basic here; an SSO's
``auth_request`` in production), names them in ``X-Remote-User`` and proxies to
``quisait serve``; quisait trusts that header, reads the client's address from
``X-Forwarded-For`` for its rate limits, and refuses whatever bypasses the proxy.

Needs Debian's nginx (``make browser`` installs it with Chromium); everything listens on
the loopback.  Clients connect from 127.0.0.2 and 127.0.0.3 so that their addresses
differ from the proxy's.
"""

from __future__ import annotations

import datetime
import http.client
import json
import os
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from tests.test_browser import served
from tests.web_fixtures import copy_settings
from web import create_app

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
NGINX = Path(os.environ.get("QUISAIT_NGINX", "/usr/sbin/nginx"))
SECRET = "proxy-secret-for-the-nginx-test"
PASSWORDS = {"p-julien": "julien-pw", "p-nadia": "nadia-pw"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _certificate(folder: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def _site(folder: Path, listen: int, upstream: int, cert: Path, key: Path) -> str:
    """deploy/nginx/quisait.conf with this test's ports, files and secret."""
    site = (ROOT / "deploy" / "nginx" / "quisait.conf").read_text()
    site = site[:site.index("server {\n    listen 80;")]  # no plain-HTTP redirect here
    replacements = {
        "server 127.0.0.1:8080;": f"server 127.0.0.1:{upstream};",
        "listen 443 ssl;": f"listen 127.0.0.1:{listen} ssl;",
        "/etc/ssl/certs/quisait.pem": str(cert), "/etc/ssl/private/quisait.key": str(key),
        "/etc/nginx/quisait.htpasswd": str(folder / "htpasswd"),
        "QUISAIT_PROXY_SECRET": SECRET,
    }
    for old, new in replacements.items():
        assert old in site, old
        site = site.replace(old, new)
    return site


@pytest.fixture(scope="module")
def proxied(sample_index: Path, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[tuple[int, int, Flask]]:
    """(nginx's TLS port, quisait's own port, the app) with nginx running in front."""
    if not NGINX.exists():
        pytest.fail(f"{NGINX} is missing: run `make browser` (Debian's nginx package)")
    folder = tmp_path_factory.mktemp("nginx")
    settings = copy_settings(sample_index, folder / "data", trusted_header="X-Remote-User",
                             trusted_proxies=1, proxy_secret=SECRET, signin_rate=3.0,
                             secure_cookies=True)
    app = create_app(settings)
    with served(app) as url:
        upstream = int(url.rsplit(":", 1)[1])
        listen = _free_port()
        cert, key = _certificate(folder)
        (folder / "htpasswd").write_text(
            "".join(f"{person}:{{PLAIN}}{password}\n" for person, password in PASSWORDS.items()))
        for name in ("logs", "temp"):
            (folder / name).mkdir()
        user = "user root;\n" if os.geteuid() == 0 else ""
        (folder / "nginx.conf").write_text(
            f"{user}worker_processes 1;\npid {folder}/nginx.pid;\n"
            f"error_log {folder}/logs/error.log warn;\nevents {{ worker_connections 64; }}\n"
            f"http {{\n access_log {folder}/logs/access.log;\n"
            f" client_body_temp_path {folder}/temp/body;\n"
            f" proxy_temp_path {folder}/temp/proxy;\n"
            f" fastcgi_temp_path {folder}/temp/fastcgi;\n uwsgi_temp_path {folder}/temp/uwsgi;\n"
            f" scgi_temp_path {folder}/temp/scgi;\n"
            f"{_site(folder, listen, upstream, cert, key)}\n}}\n")
        process = subprocess.Popen([str(NGINX), "-p", str(folder), "-c",
                                    str(folder / "nginx.conf"), "-g", "daemon off;"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    socket.create_connection(("127.0.0.1", listen), timeout=1).close()
                    break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise AssertionError(process.stderr.read().decode() if
                                             process.stderr else "nginx did not start"
                                             ) from None
                    time.sleep(0.2)
            yield listen, upstream, app
        finally:
            process.terminate()
            process.wait(timeout=30)
            shutil.rmtree(folder / "temp", ignore_errors=True)


def _request(port: int, method: str, path: str, *, tls: bool = True, user: str | None = None,
             headers: dict[str, str] | None = None, source: str = "127.0.0.2",
             body: str | None = None) -> tuple[int, dict[str, str], str]:
    sent = dict(headers or {})
    if user is not None:
        import base64
        pair = f"{user}:{PASSWORDS.get(user, 'wrong')}".encode()
        sent["Authorization"] = "Basic " + base64.b64encode(pair).decode()
    if tls:
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE  # self-signed
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(
            "127.0.0.1", port, timeout=30, context=context, source_address=(source, 0))
    else:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30,
                                                source_address=(source, 0))
    try:
        connection.request(method, path, body=body, headers=sent)
        answer = connection.getresponse()
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, \
            answer.read().decode("utf-8", "replace")
    finally:
        connection.close()


def test_the_proxy_names_the_person_and_a_forged_header_changes_nothing(proxied) -> None:
    listen, _, _ = proxied
    status, _, page = _request(listen, "GET", "/search?q=notes+de+frais&mode=lexical",
                               user="p-julien")
    assert status == 200 and "Julien Moreau" in page and 'class="hit' in page
    # the client names someone else: nginx sets the header from who authenticated
    status, _, page = _request(listen, "GET", "/search", user="p-julien",
                               headers={"X-Remote-User": "p-nadia"})
    assert status == 200 and "Julien Moreau" in page and "Nadia" not in page
    status, _, _ = _request(listen, "GET", "/search")  # not authenticated
    assert status == 401
    status, _, _ = _request(listen, "GET", "/search",
                            headers={"Authorization": "Basic cC1qdWxpZW46bm9wZQ=="})
    assert status == 401  # a wrong password


def test_a_request_that_bypasses_the_proxy_is_refused(proxied) -> None:
    _, upstream, _ = proxied
    for path in ("/search", "/api/v1/search?q=sap", "/people/p-helene"):
        status, _, body = _request(upstream, "GET", path, tls=False,
                                   headers={"X-Remote-User": "p-helene"})
        assert status == 403 and "proxy" in body, path
        assert "Vasseur" not in body
    status, _, body = _request(upstream, "GET", "/search", tls=False, headers={
        "X-Remote-User": "p-helene", "X-Quisait-Proxy": "a-guess"})
    assert status == 403
    status, _, body = _request(upstream, "GET", "/healthz", tls=False)
    assert status == 200 and json.loads(body)["status"] == "ok"  # probes tell nothing


def test_rate_limits_count_each_client_not_the_proxy(proxied) -> None:
    listen, _, _ = proxied

    def sign_in(source: str, forged: str) -> int:
        return _request(listen, "POST", "/signin", user="p-julien", source=source,
                        headers={"X-Forwarded-For": forged,
                                 "Content-Type": "application/x-www-form-urlencoded"},
                        body="person=p-julien")[0]

    # 127.0.0.2 spends its three sign-ins, whatever address it claims to be
    statuses = [sign_in("127.0.0.2", f"10.9.8.{n}") for n in range(4)]
    assert statuses[:3].count(429) == 0 and statuses[3] == 429
    # another client behind the same proxy still has its own budget
    assert sign_in("127.0.0.3", "127.0.0.2") != 429


def test_session_cookies_are_secure_behind_tls(proxied) -> None:
    listen, _, _ = proxied
    status, headers, page = _request(listen, "GET", "/me/follows", user="p-julien")
    assert status == 200 and 'name="csrf_token"' in page  # a form: a session to hold it
    cookie = headers.get("set-cookie", "")
    assert "quisait_session=" in cookie and "Secure" in cookie and "HttpOnly" in cookie

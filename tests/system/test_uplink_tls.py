"""HTTPS for real: a throw-away CA signs a certificate for "localhost", `appliance serve-ingest`
serves it with --tls-cert/--tls-key on 127.0.0.1, and the booth's uplink uploads only when it can
check that certificate - with the system trust store, a foreign CA or the wrong host name it
refuses with a line naming the cause, and the photo stays queued (nothing marked uploaded)."""

from __future__ import annotations

import datetime
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from appliance.errors import SettingsError
from appliance.ingest.metadata import SqliteMetadata
from appliance.store.disk_guard import DiskGuard
from appliance.store.photo_store import PhotoStore
from appliance.testing.uplink_fixtures import DEVICE_ID, DEVICE_KEY, make_jpeg
from appliance.uplink.client import CollectionClient
from appliance.uplink.config import UplinkSettings
from appliance.uplink.worker import UplinkWorker

REPO = Path(__file__).resolve().parents[2]
SETTINGS = UplinkSettings(backoff_base_s=0.01, backoff_max_s=0.1, timeout_s=5.0)


pytestmark = [pytest.mark.subprocess]


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def make_ca(common_name: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def make_server_cert(
    ca_key: ec.EllipticCurvePrivateKey, ca_cert: x509.Certificate, dns_name: str
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """A leaf for `dns_name` only (no IP address), so https://127.0.0.1 is a host-name mismatch."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    ca_ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(dns_name))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(dns_name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return key, cert


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    """serve-ingest over HTTPS in its own process; yields (port, data dir, good CA, foreign CA)."""
    root = tmp_path_factory.mktemp("tls")
    ca_key, ca_cert = make_ca("Test Collection CA")
    _, foreign_ca = make_ca("Some Other CA")
    leaf_key, leaf_cert = make_server_cert(ca_key, ca_cert, "localhost")
    (root / "ca.pem").write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    (root / "foreign-ca.pem").write_bytes(foreign_ca.public_bytes(serialization.Encoding.PEM))
    (root / "server.pem").write_bytes(leaf_cert.public_bytes(serialization.Encoding.PEM))
    (root / "server.key").write_bytes(_pem_key(leaf_key))
    (root / "keys.toml").write_text(f'"{DEVICE_ID}" = "{DEVICE_KEY.hex()}"\n')
    command = [
        sys.executable, "-m", "appliance", "serve-ingest", "--data-dir", str(root / "srv"),
        "--keys", str(root / "keys.toml"), "--host", "127.0.0.1", "--port", "0",
        "--tls-cert", str(root / "server.pem"), "--tls-key", str(root / "server.key"),
    ]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        if "listening on https://127.0.0.1:" not in line:
            process.kill()
            pytest.fail(f"serve-ingest did not start with TLS: {line!r} {process.stderr.read()[-500:]}")
        port = int(line.rsplit(":", 1)[1])
        yield port, root / "srv", root / "ca.pem", root / "foreign-ca.pem"
    finally:
        process.terminate()
        process.wait(10)


def _upload_once(tmp_path: Path, url: str, ca_file: Path | None, seed: int) -> tuple[PhotoStore, str]:
    store = PhotoStore(tmp_path / "booth", disk_guard=DiskGuard(tmp_path, 0, probe=lambda _p: 10**12))
    client = CollectionClient(url, DEVICE_ID, DEVICE_KEY, timeout_s=5.0, ca_file=ca_file)
    worker = UplinkWorker(store, client, DEVICE_ID, SETTINGS)
    sha = store.commit_accepted("26031601", f"c8bade99b9b2ed{seed:02d}", "10403", make_jpeg(seed), {}).sha256
    worker.run_once()
    return store, sha


def _on_server(data_dir: Path) -> list[str]:
    metadata = SqliteMetadata(data_dir / "ingest.db")
    try:
        return metadata.all_sha256()
    finally:
        metadata.close()


def test_uploads_over_https_when_given_the_ca(tmp_path, tls_server):
    port, data_dir, ca_file, _ = tls_server
    store, sha = _upload_once(tmp_path, f"https://localhost:{port}", ca_file, seed=1)
    record = store.get(sha)
    assert record.upload_state == "uploaded", record.last_error
    assert sha in _on_server(data_dir)
    assert (data_dir / "photos" / sha[:2] / f"{sha}.jpg").read_bytes() == make_jpeg(1)


@pytest.mark.parametrize(
    ("case", "host", "which_ca", "cause"),
    [
        ("no CA: system trust store", "localhost", None, "unable to get local issuer certificate"),
        ("a foreign CA", "localhost", "foreign", "unable to get local issuer certificate"),
        ("host name mismatch", "127.0.0.1", "good", "mismatch, certificate is not valid for '127.0.0.1'"),
    ],
)
def test_refuses_a_certificate_it_cannot_check(tmp_path, tls_server, case, host, which_ca, cause):
    port, data_dir, ca_file, foreign_ca = tls_server
    chosen = {None: None, "good": ca_file, "foreign": foreign_ca}[which_ca]
    store, sha = _upload_once(tmp_path, f"https://{host}:{port}", chosen, seed=10 + len(case))
    record = store.get(sha)
    assert record.upload_state == "pending", case
    assert record.last_error.startswith("tls: server certificate refused"), record.last_error
    assert cause in record.last_error
    assert "uplink.ca_file" in store.queue_summary().last_error
    assert sha not in _on_server(data_dir)
    assert store.read_photo(sha) == make_jpeg(10 + len(case))  # still held, will be retried


def test_unusable_ca_file_is_a_settings_error(tmp_path):
    with pytest.raises(SettingsError, match=r"uplink\.ca_file: file not found"):
        CollectionClient("https://localhost:1", DEVICE_ID, DEVICE_KEY, ca_file=tmp_path / "missing.pem")
    (tmp_path / "junk.pem").write_text("not a certificate")
    with pytest.raises(SettingsError, match="holds no PEM certificate"):
        CollectionClient("https://localhost:1", DEVICE_ID, DEVICE_KEY, ca_file=tmp_path / "junk.pem")


"""The operator console's TLS certificate: self-signed, made once per booth, trusted by fingerprint.

A booth on a campus Wi-Fi has no domain name a public CA would certify, so it makes its own key
and certificate at install (`appliance operator tls`) or, failing that, at first start, and keeps
them under the data folder (key readable by the booth's user only, written then renamed). The
operator trusts the certificate by comparing its SHA-256 fingerprint with the one the booth's own
display shows; the fingerprint does not change until the files are deleted.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import socket
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from appliance.errors import ApplianceError
from appliance.store.durable_files import atomic_write

TLS_FOLDER = "tls"
CERT_FILE = "console-cert.pem"
KEY_FILE = "console-key.pem"
VALID_DAYS = 3650


class TlsError(ApplianceError):
    """The console's certificate or key cannot be made or read."""


@dataclass(frozen=True)
class ConsoleCertificate:
    cert_path: Path
    key_path: Path
    fingerprint: str  # SHA-256 of the DER certificate, "AB:CD:..."


def fingerprint_of(cert: x509.Certificate) -> str:
    return ":".join(f"{b:02X}" for b in cert.fingerprint(hashes.SHA256()))


def ensure_certificate(data_dir: Path, name: str = "graduation-photo booth") -> ConsoleCertificate:
    """The booth's certificate, made now if it does not exist yet."""
    folder = Path(data_dir) / TLS_FOLDER
    cert_path, key_path = folder / CERT_FILE, folder / KEY_FILE
    try:
        if not (cert_path.exists() and key_path.exists()):
            _make(folder, cert_path, key_path, name)
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    except (OSError, ValueError) as exc:
        raise TlsError(f"web: the console's TLS certificate in {folder} cannot be used: {exc}") from None
    return ConsoleCertificate(cert_path, key_path, fingerprint_of(cert))


def _make(folder: Path, cert_path: Path, key_path: Path, name: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name[:64])])
    now = datetime.datetime.now(datetime.UTC)
    names: list[x509.GeneralName] = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    hostname = socket.gethostname()
    if hostname and hostname != "localhost":
        names.append(x509.DNSName(hostname))
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject).issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        # A booth without an RTC may boot in 1970: the start is set well back so the certificate is
        # valid whatever the clock says before NTP arrives.
        .not_valid_before(datetime.datetime(1971, 1, 1, tzinfo=datetime.UTC))
        .not_valid_after(now + datetime.timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    atomic_write(key_path, key_pem)  # created 0600: readable by the booth's user only
    atomic_write(cert_path, cert.public_bytes(serialization.Encoding.PEM))

"""Photo bytes behind the S3 API (boto3), here against moto's in-process S3: object and row, a
bucket that cannot be reached is a 503 with nothing stored, exports read from the bucket."""

import socket
import time

import pytest

from appliance.errors import SettingsError
from appliance.ingest.config import IngestSettings, load_ingest_settings
from appliance.ingest.export import export_school
from appliance.ingest.metadata import SqliteMetadata
from appliance.ingest.photo_storage import S3Photos
from appliance.ingest.server import create_app
from appliance.testing.ingest_requests import NOW, post, upload_payload
from appliance.testing.uplink_fixtures import DEVICE_ID, DEVICE_KEY

boto3 = pytest.importorskip("boto3")
moto = pytest.importorskip("moto")


@pytest.fixture()
def bucket(monkeypatch):
    for name, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    with moto.mock_aws():
        boto3.client("s3").create_bucket(Bucket="photos-test")
        yield "photos-test"


def make_app(tmp_path, photos, metadata):
    settings = IngestSettings(data_dir=tmp_path, photo_storage="s3", s3_bucket="photos-test")
    return create_app(settings, metadata, photos, {DEVICE_ID: DEVICE_KEY}, clock=lambda: NOW).test_client()


def test_upload_goes_to_the_bucket_and_exports_from_it(bucket, tmp_path):
    metadata = SqliteMetadata(tmp_path / "ingest.db")
    metadata.migrate()
    photos = S3Photos(metadata, bucket)
    client = make_app(tmp_path, photos, metadata)
    photo, payload = upload_payload(seed=3)
    assert post(client, "/v1/photos", payload).status_code == 201
    assert post(client, "/v1/photos", payload).status_code == 200
    sha = payload["binding"]["sha256"]
    stored = boto3.client("s3").get_object(Bucket=bucket, Key=f"photos/{sha[:2]}/{sha}.jpg")
    assert stored["Body"].read() == photo and stored["ContentType"] == "image/jpeg"
    assert not (tmp_path / "photos").exists()
    _, written, _ = export_school(metadata, photos, "10403", tmp_path / "out")
    assert written == 1
    with pytest.raises(FileNotFoundError):
        photos.read("0" * 64)


def test_unreachable_bucket_is_503_and_stores_nothing(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens here
    metadata = SqliteMetadata(tmp_path / "ingest.db")
    metadata.migrate()

    def client_factory():
        from botocore.config import Config

        return boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                            aws_access_key_id="x", aws_secret_access_key="x",
                            config=Config(connect_timeout=1, retries={"max_attempts": 1}))

    client = make_app(tmp_path, S3Photos(metadata, "photos-test", client_factory=client_factory), metadata)
    _, payload = upload_payload(seed=4)
    started = time.monotonic()
    answer = post(client, "/v1/photos", payload)
    assert (answer.status_code, answer.json["error"]) == (503, "unavailable")
    assert time.monotonic() - started < 30
    assert metadata.all_sha256() == []


def test_s3_needs_a_bucket(tmp_path):
    (tmp_path / "ingest.toml").write_text('photo_storage = "s3"\n')
    with pytest.raises(SettingsError, match="s3_bucket"):
        load_ingest_settings(tmp_path / "ingest.toml", {})

"""`appliance serve-ingest review`: a reviewer lists pending photos, reads one photo's checks and
decides with a reason from the fixed list; the booth gets that reason back."""

import json
import subprocess
import sys

from appliance.ingest.review import REASONS
from appliance.testing.ingest_requests import post, upload_payload

CHECKS = [
    {"id": "yaw", "family": "pose", "value": 2.5, "threshold": 5.0, "passed": True,
     "message_zh": "通过", "message_en": "OK"},
    {"id": "teeth", "family": "expression", "value": 0.31, "threshold": 0.2, "passed": False,
     "message_zh": "请闭上嘴", "message_en": "close your lips"},
]


def cli(data_dir, *args):
    return subprocess.run(
        [sys.executable, "-m", "appliance", "serve-ingest", "review", *args, "--data-dir", str(data_dir)],
        capture_output=True, text=True,
    )


def test_list_show_and_decide(server, tmp_path):
    client, metadata, _ = server
    _, payload = upload_payload(seed=1)
    payload["report"] = {"verdict": "pass", "checks": CHECKS}
    payload["personal"] = {"name": "张三丰", "student_number": "S00001"}
    assert post(client, "/v1/photos", payload).status_code == 201
    sha = payload["binding"]["sha256"]

    listed = cli(tmp_path, "list", "--json")
    assert listed.returncode == 0, listed.stderr
    [row] = json.loads(listed.stdout)
    assert row["sha256"] == sha and row["capture_code"] != payload["binding"]["capture_code"]  # masked

    shown = cli(tmp_path, "show", sha, "--photo-out", str(tmp_path / "look.jpg"))
    assert shown.returncode == 0, shown.stderr
    assert "teeth" in shown.stdout and "close your lips" in shown.stdout and "0.31" in shown.stdout
    assert "张三丰" not in shown.stdout and "c8bade99b9b2edca" not in shown.stdout
    assert (tmp_path / "look.jpg").read_bytes() == metadata_photo(tmp_path, sha)

    assert cli(tmp_path, "decide", sha, "reject").returncode == 2  # a rejection names the rule
    assert "unknown reason" in cli(tmp_path, "decide", sha, "reject", "--reason", "ugly").stderr
    assert cli(tmp_path, "decide", sha, "reject", "--reason", "other").returncode == 2  # other needs a note
    decided = cli(tmp_path, "decide", sha, "reject", "--reason", "expression", "--note", "嘴角")
    assert decided.returncode == 0, decided.stderr
    assert metadata.get(sha).review_state == "rejected"
    answer = post(client, "/v1/reviews/query", {"sha256": [sha]})
    assert answer.json["reviews"][0]["reason"] == f"{REASONS['expression']}: 嘴角"
    assert json.loads(cli(tmp_path, "list", "--json").stdout) == []


def metadata_photo(root, sha):
    return (root / "photos" / sha[:2] / f"{sha}.jpg").read_bytes()


def test_reasons_are_listed():
    answer = subprocess.run([sys.executable, "-m", "appliance", "serve-ingest", "review", "reasons"],
                            capture_output=True, text=True, check=True)
    assert all(code in answer.stdout for code in REASONS)

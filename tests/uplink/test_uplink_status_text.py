"""The console words the uplink's state and the server's refusals (Chinese first, what to do),
never a Python repr such as UplinkStatus(running=True, ...)."""

from __future__ import annotations

import re
from pathlib import Path

from appliance.testing.web_fakes import PASSWORD, make_deps
from appliance.uplink.status_text import explain_error
from appliance.uplink.worker import UplinkStatus
from appliance.web.server import create_app

REFUSAL = ("HTTP 422 invalid: binding.school_code: 学校代码应为5位数字；普通采集码不含学校代码时须在采集机设置"
           " codes.school_code / school code must be 5 digits; for plain codes set the booth's codes.school_code")


class _Uplink:
    def status(self) -> UplinkStatus:
        return UplinkStatus(running=True, last_success_at=None, last_error=REFUSAL, uploads=0)

    def notify(self) -> None:
        pass


def test_known_refusals_and_transport_errors_are_explained() -> None:
    refused = explain_error(REFUSAL)
    assert refused.what_zh.startswith("服务器拒收") and "重新上传" in refused.action_zh
    assert refused.detail.startswith("binding.school_code: 学校代码")
    assert explain_error("HTTP 401 bad_signature: signature does not match").what_zh.startswith("签名不符")
    assert "NTP" in explain_error("HTTP 401 clock_skew: too far").action_en
    assert explain_error("network: ConnectionRefusedError: [Errno 111]").what_zh.startswith("无法连接服务器")
    assert "uplink.ca_file" in explain_error("tls: server certificate refused (self-signed)").action_en
    assert explain_error("HTTP 503").what_en.startswith("the server had an error")
    assert explain_error(None) is None


def test_console_shows_the_servers_reason_in_words(tmp_path: Path) -> None:
    deps, *_ = make_deps(tmp_path)
    deps.uplink = _Uplink()
    deps.store.mark_refused(deps.store.recent(1)[0].sha256, REFUSAL)
    client = create_app(deps, secret_key=b"k" * 32).test_client()
    page = client.get("/operator/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/operator/login", data={"username": "operator", "password": PASSWORD, "csrf_token": token})
    page = client.get("/operator").get_data(as_text=True)
    assert "UplinkStatus(" not in page and "HTTP 422 invalid</" not in page
    assert "运行中，有错误" in page and "服务器拒收" in page and "codes.school_code" in page
    assert "服务器拒收 <span class=\"en\">refused by the server</span>" in page  # the row's upload state

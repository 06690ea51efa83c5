"""The uplink's state and the server's refusals in words an operator can act on (Chinese first).

The worker records errors as compact text (`HTTP 422 invalid: binding.school_code: ...`,
`network: ...`, `tls: ...`); this module turns that text and the worker's status into what the
console shows: what happened, the server's own reason, and what the operator can do about it.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

_HTTP = re.compile(r"^HTTP (\d{3})(?: ([a-z_]+))?(?:: (.*))?$", re.DOTALL)


@dataclass(frozen=True)
class Explanation:
    what_zh: str
    what_en: str
    action_zh: str
    action_en: str
    detail: str = ""


_BY_CODE: dict[str, tuple[str, str, str, str]] = {
    "invalid": (
        "服务器拒收：照片的绑定信息不符合服务器要求",
        "refused by the server: the photo's binding does not meet its rules",
        "按下面的原因改正采集机设置后，点“重新上传”",
        "fix the booth's settings as the reason says, then press Queue again",
    ),
    "malformed_json": (
        "服务器无法读取上传内容", "the server could not read the upload",
        "请联系服务器管理员核对版本", "ask the server's administrator to check the versions",
    ),
    "sha256_mismatch": (
        "照片在传输中损坏", "the photo was damaged on the way",
        "点“重新上传”；若反复出现请检查网络设备", "press Queue again; if it repeats, check the network equipment",
    ),
    "size_mismatch": (
        "照片在传输中损坏", "the photo was damaged on the way",
        "点“重新上传”；若反复出现请检查网络设备", "press Queue again; if it repeats, check the network equipment",
    ),
    "not_jpeg": (
        "服务器认为照片不是完整的 JPEG", "the server found the photo is not a complete JPEG",
        "运行 appliance doctor 检查存储后重新上传", "run appliance doctor to check the store, then queue again",
    ),
    "too_large": (
        "照片大于服务器允许的大小", "the photo is larger than the server allows",
        "请服务器管理员调大 max_body_bytes", "ask the server's administrator to raise max_body_bytes",
    ),
    "unknown_device": (
        "服务器不认识本机编号", "the server does not know this booth's id",
        "把 device.device_id 和密钥加入服务器的 keys 文件并重启服务器",
        "add device.device_id and its key to the server's keys file and restart the server",
    ),
    "bad_signature": (
        "签名不符：本机密钥与服务器不一致", "bad signature: this booth's key differs from the server's",
        "核对 uplink.device_key_file 与服务器 keys 文件中的密钥",
        "compare uplink.device_key_file with the server's keys file",
    ),
    "wrong_device": (
        "照片标注的本机编号与签名不符", "the photo's device id differs from the signing booth",
        "核对 device.device_id", "check device.device_id",
    ),
    "clock_skew": (
        "本机时钟与服务器相差过大", "this booth's clock is too far from the server's",
        "检查网络时间同步（NTP）；照片会自动重试", "check time sync (NTP); the photos are retried by themselves",
    ),
    "unsigned": (
        "请求未签名", "the request was not signed",
        "请联系服务器管理员核对版本", "ask the server's administrator to check the versions",
    ),
}
_NETWORK = (
    "无法连接服务器（照片安全保存在本机，会自动重试）", "cannot reach the server (photos are kept here and retried)",
    "检查网络、uplink.server_url 和服务器是否在运行", "check the network, uplink.server_url and that the server runs",
)
_TLS = (
    "服务器证书未被信任（照片保存在本机，会自动重试）",
    "the server's certificate is not trusted (photos kept, retried)",
    "检查 uplink.ca_file 和 uplink.server_url 中的主机名",
    "check uplink.ca_file and the host name in uplink.server_url",
)
_SERVER = (
    "服务器暂时出错（会自动重试）", "the server had an error (retried automatically)",
    "若持续出现请联系服务器管理员", "if it lasts, ask the server's administrator",
)
_OTHER = (
    "上传出错", "upload error",
    "查看详情；照片保存在本机", "see the detail; the photos are kept here",
)


def explain_error(text: str | None) -> Explanation | None:
    """What an uplink error means and what to do; None for no error."""
    if not text:
        return None
    match = _HTTP.match(text.strip())
    if match:
        status, code, message = int(match.group(1)), match.group(2) or "", match.group(3) or ""
        words = _BY_CODE.get(code) or (_SERVER if status >= 500 else _OTHER)
        return Explanation(*words, detail=message or f"HTTP {status} {code}".strip())
    if text.startswith("tls:"):
        return Explanation(*_TLS, detail=text[4:].strip())
    if text.startswith("network:"):
        return Explanation(*_NETWORK, detail=text[8:].strip())
    return Explanation(*_OTHER, detail=text)


def _when(at: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(at)) if at else ""


def describe_uplink(status: Any | None) -> dict[str, Any]:
    """The console's uplink panel: state words, last success, uploads, and the last error explained."""
    if status is None:
        return {"state_zh": "未配置", "state_en": "not configured", "ok": False,
                "last_success": "", "uploads": 0, "error": None}
    error = explain_error(status.last_error)
    if not status.running:
        state = ("已停止", "stopped")
    elif error is not None:
        state = ("运行中，有错误", "running, with an error")
    else:
        state = ("运行中", "running")
    return {
        "state_zh": state[0], "state_en": state[1], "ok": status.running and error is None,
        "last_success": _when(status.last_success_at), "uploads": status.uploads, "error": error,
    }


UPLOAD_STATES = {
    "pending": ("等待上传", "waiting to upload"),
    "uploaded": ("已上传", "uploaded"),
    "refused": ("服务器拒收", "refused by the server"),
}
REVIEW_STATES = {
    "pending": ("待审核", "awaiting review"),
    "accepted": ("审核通过", "accepted"),
    "rejected": ("未通过", "rejected"),
}


def state_words(kind: str, state: str) -> tuple[str, str]:
    table = UPLOAD_STATES if kind == "upload" else REVIEW_STATES
    return table.get(state, (state, state))

"""Every sentence `appliance doctor` and the health page say about a check, Chinese and English.

One table, so the two languages cannot drift apart: a check or a probe names a key and its values,
and both sentences are filled from the same values. The English one stays the doctor's `detail`
(scripts and tests read it); the Chinese one is what an operator reads first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# key -> (Chinese, English); `{name}` fields are filled from the same values in both.
DOCTOR_TEXT: dict[str, tuple[str, str]] = {
    "settings.valid": ("设置有效：{source}", "valid: {source}"),
    "settings.invalid": ("设置文件有误：{problem}；正在使用：{source}", "{problem}; in use: {source}"),
    "models.ok": ("{count} 个模型位于 {folder}，sha256 校验一致", "{count} models in {folder}, sha256 match"),
    "models.bad": ("模型缺失或损坏：请运行 scripts/provision/fetch_models.py 重新安装", "{error}"),
    "camera.no_picamera2": ("未安装 picamera2（树莓派上运行 apt install python3-picamera2）",
                            "picamera2 is not installed (on the Pi: apt install python3-picamera2)"),
    "camera.none": ("没有连接相机（请检查排线；libcamera 找不到相机）",
                    "no camera connected (check the ribbon cable; libcamera sees none)"),
    "camera.absent": ("找不到相机 {num}；libcamera 只找到 {count} 台",
                      "camera {num} not found; libcamera sees {count} camera(s)"),
    "camera.ok": ("相机 {num}：{model}（共连接 {count} 台）", "camera {num}: {model} ({count} connected)"),
    "webcam.closed": ("无法打开摄像头 {source}（未插好或被占用？）",
                      "webcam {source} cannot be opened (unplugged or in use?)"),
    "webcam.no_frame": ("摄像头 {source} 已打开，但没有画面", "webcam {source} opened but delivered no frame"),
    "webcam.ok": ("摄像头 {source} 画面正常", "webcam {source} delivers frames"),
    "source.missing": ("{kind} 来源 {source} 不存在", "{kind} source {source} does not exist"),
    "source.ok": ("{kind} 来源 {source}（开发用，不用相机）",
                  "{kind} source {source} (development source, no camera)"),
    "camera.demo": ("已选演示来源（--demo）：不使用相机硬件",
                    "demo source selected (--demo): no camera hardware used"),
    "gpio.none": ("GPIO 引脚驱动无法加载（{error}）；请在树莓派上安装 python3-lgpio",
                  "no GPIO pin factory loads ({error}); install python3-lgpio on the Pi"),
    "gpio.ok": ("gpiozero 引脚驱动 {name}", "gpiozero pin factory {name}"),
    "disk.summary": ("数据文件夹 {folder}：可用 {free:.1f} GB，共 {total:.1f} GB",
                     "data folder {folder}: {free:.1f} GB free of {total:.1f} GB"),
    "disk.read_only": ("{summary}；{where} 无法写入", "{summary}; {where} is not writable"),
    "disk.low": ("{summary}；低于最低要求 {minimum} MB", "{summary}; below the {minimum} MB minimum"),
    "clock.source_unknown": ("timedatectl 和 chrony 都没有回答", "no timedatectl or chrony answer"),
    "clock.synced": ("已同步（{source}），{stamp}", "synchronised ({source}), {stamp}"),
    "clock.unsynced": ("未同步（{source}）；时钟显示 {stamp}", "not synchronised ({source}); clock reads {stamp}"),
    "clock.sane": ("同步状态未知（{source}）；时钟显示 {stamp}，看起来正常",
                   "sync unknown ({source}); clock reads {stamp}, looks sane"),
    "clock.never_set": ("同步状态未知（{source}）；时钟显示 {stamp}，从未设置过（没有网络时间，RTC 电池没电？）",
                        "sync unknown ({source}); clock reads {stamp}, was never set (no network time, "
                        "no RTC battery?)"),
    "network.none": ("没有默认路由：未连接网络", "no default route: not connected to a network"),
    "network.ok": ("默认路由经 {interface}", "default route via {interface}"),
    "server.unset": ("未配置采集服务器（不上传）", "no collection server configured (uploads not started)"),
    "server.unreachable": ("无法连接 {url}：{reason}", "{url} unreachable: {reason}"),
    "server.error": ("{url} 返回 HTTP {status}（服务器出错）", "{url} answered HTTP {status} (server error)"),
    "server.ok": ("{url} 可以连接（HTTP {status}）", "{url} reachable (HTTP {status})"),
    "temperature.unknown": ("找不到 CPU 温度传感器；温度未知", "no CPU temperature sensor found; unknown"),
    "temperature.hot": ("CPU 温度 {celsius:.1f} °C，超过 {limit:.0f} °C：请改善散热",
                        "CPU at {celsius:.1f} C, above {limit:.0f} C: improve cooling"),
    "temperature.ok": ("CPU 温度 {celsius:.1f} °C", "CPU at {celsius:.1f} C"),
    "throttling.unknown": ("没有 vcgencmd；是否降频未知", "vcgencmd not available; unknown"),
    "throttling.unexpected": ("vcgencmd 的输出无法识别：{output}", "unexpected vcgencmd output: {output}"),
    "throttling.now": ("正在：{flags}（请检查电源和散热）", "now: {flags} (check power supply and cooling)"),
    "throttling.since_boot": ("现在正常；开机以来出现过：{flags}", "not now; since boot: {flags}"),
    "throttling.never": ("开机以来从未降频", "never throttled since boot"),
    # The firmware's throttling flags (probes.THROTTLE_NOW names them in English).
    "throttle.under-voltage": ("电压不足", "under-voltage"),
    "throttle.frequency capped": ("频率受限", "frequency capped"),
    "throttle.throttled": ("已降频", "throttled"),
    "throttle.soft temperature limit": ("达到软温度上限", "soft temperature limit"),
    "database.unset": ("未配置照片存储", "no store configured"),
    # The integrity report's own words (database_recovery) are the English; the gist is the Chinese.
    "database.ok": ("照片数据库检查通过", "{detail}"),
    "database.bad": ("照片数据库损坏或无法打开", "{detail}"),
    "database.preserved": ("{report}；尚未上传：{kept}", "{report}; not uploaded: {kept}"),
    "database.kept": ("{files} 个已采集的照片文件保存在 {folder}，请交给采集单位（{reason}）",
                      "{files} accepted photo file(s) kept in {folder} ({reason})"),
    "check.crashed": ("检查意外出错：{error}", "check failed unexpectedly: {error}"),
}


@dataclass(frozen=True)
class Phrase:
    """One sentence in both languages; str() is the English, which scripts and logs keep."""

    zh: str
    en: str

    def __str__(self) -> str:
        return self.en

    def bilingual(self) -> str:
        """Chinese first, English beside it; one copy when there is nothing to translate."""
        return self.en if not self.zh or self.zh == self.en else f"{self.zh} / {self.en}"


def say(key: str, **values: Any) -> Phrase:
    """The sentence `key` in both languages; a Phrase among the values fills each language its own."""
    zh, en = DOCTOR_TEXT[key]
    return Phrase(
        zh.format(**{k: v.zh if isinstance(v, Phrase) else v for k, v in values.items()}),
        en.format(**{k: v.en if isinstance(v, Phrase) else v for k, v in values.items()}),
    )


def verbatim(text: str) -> Phrase:
    """Text with nothing to translate (a file name, a command's name, a library's own error)."""
    return Phrase(text, text)


def enumerate_phrases(phrases: Iterable[Phrase], zh_sep: str = "、", en_sep: str = ", ") -> Phrase:
    """A list in both languages, each joined the way its language lists things."""
    items = list(phrases)
    return Phrase(zh_sep.join(p.zh for p in items), en_sep.join(p.en for p in items))

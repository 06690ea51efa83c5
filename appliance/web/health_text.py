"""The device-health page in words an operator reads first: each doctor check's name and state in
Chinese, and what to do when it fails; the doctor's detail in Chinese with its English beside it."""

from __future__ import annotations

from typing import Any

from appliance.web.security import strip_paths

# name -> (Chinese name, what to do when it fails, English of that advice)
HEALTH_TEXT: dict[str, tuple[str, str, str]] = {
    "settings": ("设置文件", "按详情修正设置文件后重启采集机",
                 "fix the settings file as the detail says, then restart"),
    "models": ("识别模型", "运行 scripts/provision/fetch_models.py 重新安装模型",
               "run scripts/provision/fetch_models.py to reinstall the models"),
    "camera": ("摄像头", "检查摄像头排线并重启采集机", "check the camera cable and restart the booth"),
    "gpio": ("按键与灯", "检查按钮和补光灯的接线，树莓派上安装 python3-lgpio",
             "check the button's and LED ring's wiring; install python3-lgpio on the Pi"),
    "button": ("按钮", "检查按钮接线", "check the button's wiring"),
    "leds": ("补光灯", "检查补光灯接线和电源", "check the LED ring's wiring and power"),
    "disk": ("存储空间", "等待照片上传后释放空间，或更换更大的存储卡",
             "let photos upload to free space, or use a larger card"),
    "clock": ("时钟", "连接网络以同步时间（NTP）", "connect to a network so the clock can synchronise (NTP)"),
    "network": ("网络", "检查 Wi-Fi 或网线", "check the Wi-Fi or the network cable"),
    "server": ("采集服务器", "检查 uplink.server_url 和服务器是否在运行",
               "check uplink.server_url and that the server runs"),
    "temperature": ("温度", "改善通风或加装散热片", "improve ventilation or add a heat sink"),
    "throttling": ("供电/降频", "使用官方 5V 3A 电源", "use the official 5 V 3 A power supply"),
    "database": ("照片数据库", "运行 appliance doctor 查看详情并联系技术支持",
                 "run appliance doctor and ask for support"),
}


def health_rows(results: list[Any]) -> list[dict[str, str | bool]]:
    rows = []
    for result in results:
        zh, todo_zh, todo_en = HEALTH_TEXT.get(result.name, (result.name, "请联系技术支持", "ask for support"))
        rows.append({
            "name": result.name, "name_zh": zh, "ok": bool(result.ok), "detail": strip_paths(str(result.detail)),
            "detail_zh": strip_paths(str(getattr(result, "detail_zh", "") or "")),
            "todo_zh": "" if result.ok else todo_zh, "todo_en": "" if result.ok else todo_en,
        })
    return rows

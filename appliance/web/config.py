"""Settings of the booth's web screen and operator console (the `web` section).

Bounds keep the console usable and the login hard to guess at: a lock-out shorter than a few
seconds or more than a handful of tries per minute would make password guessing cheap.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class WebSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # The booth's own Wi-Fi address in production; loopback by default so nothing is exposed by accident.
    host: str = Field("127.0.0.1", min_length=1, max_length=255)
    port: int = Field(8080, ge=1, le=65535)
    # The address students' phones open the receipt's status QR with (e.g. http://192.168.4.1:8080).
    # Empty: the booth's own LAN address when it listens on one (host 0.0.0.0 or an address).
    public_url: str = Field("", max_length=200, pattern=r"^(https?://[^\s/]+(/[^\s]*)?)?$")
    # Failed logins allowed per client address within the window before answers become HTTP 429.
    login_max_failures: int = Field(5, ge=1, le=50)
    login_window_s: float = Field(300.0, ge=10.0, le=86400.0)
    # An operator who walks away is logged out after this long without a request.
    operator_idle_s: float = Field(900.0, ge=60.0, le=86400.0)
    # Frames per second of the live preview; the screen needs far fewer than the analyser gets.
    preview_fps: float = Field(8.0, ge=1.0, le=30.0)
    preview_jpeg_quality: int = Field(70, ge=30, le=95)
    # Longest an event stream stays open before the browser reconnects (keeps dead clients bounded).
    stream_max_s: float = Field(600.0, ge=10.0, le=86400.0)

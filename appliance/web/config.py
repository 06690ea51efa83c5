"""Settings of the booth's web screen and operator console (the `web` section).

Bounds keep the console usable and the login hard to guess at: a lock-out shorter than a few
seconds or more than a handful of tries per minute would make password guessing cheap.
"""

from __future__ import annotations

import ipaddress

from pydantic import BaseModel, ConfigDict, Field, model_validator


class WebSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # The subject screen (plain HTTP). Loopback for the booth's own display (the kiosk); "0.0.0.0"
    # only when a paired tablet shows the screen too (no other device is let in either way).
    host: str = Field("127.0.0.1", min_length=1, max_length=255)
    port: int = Field(8080, ge=1, le=65535)
    # Clients that count as the booth's own display: compared as addresses, never as host names.
    kiosk_addresses: list[str] = Field(default_factory=lambda: ["127.0.0.1", "::1"], max_length=8)
    # The operator console: its own listener with TLS (self-signed, fingerprint on the booth's
    # display). Set to the booth's Wi-Fi address (or 0.0.0.0) for an operator's laptop or phone.
    console_host: str = Field("127.0.0.1", min_length=1, max_length=255)
    console_port: int = Field(8443, ge=1, le=65535)
    # A pairing code shown on the booth's display is valid this long.
    pairing_code_ttl_s: float = Field(300.0, ge=30.0, le=3600.0)
    # The address students' phones open the receipt's status QR with (e.g. http://192.168.4.1:8080).
    # Empty: the booth's own LAN address when it listens on one (host 0.0.0.0 or an address).
    public_url: str = Field("", max_length=200, pattern=r"^(https?://[^\s/]+(/[^\s]*)?)?$")
    # Failed logins allowed per client address within the window before answers become HTTP 429.
    login_max_failures: int = Field(5, ge=1, le=50)
    login_window_s: float = Field(300.0, ge=10.0, le=86400.0)
    # An operator who walks away is logged out after this long without a request.
    operator_idle_s: float = Field(900.0, ge=60.0, le=86400.0)
    # ...and after this long in any case, however busy (a forgotten laptop, a copied cookie).
    operator_session_max_s: float = Field(43200.0, ge=300.0, le=7 * 86400.0)
    # Frames per second of the live preview; the screen needs far fewer than the analyser gets.
    preview_fps: float = Field(8.0, ge=1.0, le=30.0)
    preview_jpeg_quality: int = Field(70, ge=30, le=95)
    # Longest an event stream stays open before the browser reconnects (keeps dead clients bounded).
    stream_max_s: float = Field(600.0, ge=10.0, le=86400.0)
    # Worker threads of each listener (every open stream holds one) and the socket read timeout.
    screen_threads: int = Field(16, ge=4, le=128)
    console_threads: int = Field(8, ge=2, le=64)
    request_timeout_s: float = Field(10.0, ge=1.0, le=120.0)
    # Open live previews and event streams at once; the next one is answered 503. The kiosk and a
    # paired tablet need two of each (a reload overlaps the old stream for a moment).
    max_preview_viewers: int = Field(4, ge=1, le=32)
    max_event_streams: int = Field(6, ge=1, le=64)

    @model_validator(mode="after")
    def _consistent(self) -> WebSettings:
        for address in self.kiosk_addresses:
            try:
                ipaddress.ip_address(address)
            except ValueError:
                raise ValueError(f"web.kiosk_addresses: {address!r} is not an IP address") from None
        if self.port == self.console_port:
            raise ValueError("web.port and web.console_port must differ (the screen and the console listen apart)")
        # Every open stream holds a worker: a few must stay free for pages and button presses.
        if self.max_preview_viewers + self.max_event_streams > self.screen_threads - 4:
            raise ValueError("web: max_preview_viewers + max_event_streams must leave 4 of screen_threads free")
        return self

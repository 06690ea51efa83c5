"""Payload decoders: the built-in plain and reference formats, and collection units' plug-ins.

A decoder answers None for a payload that is not in its format (the next decoder gets it) and raises
a CodeRejected subclass for one that is in its format but bad. A collection unit ships its own
decoder as a package exposing, in the entry-point group `appliance.code_decoders`, a factory
`factory(options: dict) -> CodeDecoder`; naming it in settings `codes.decoders` enables it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Sequence
from importlib.metadata import EntryPoint, entry_points
from typing import Protocol, runtime_checkable

from appliance.binding import errors
from appliance.binding.config import CodesSettings
from appliance.binding.model import CodeFields
from appliance.binding.reference_format import ReferenceCodec
from appliance.errors import SettingsError

ENTRY_POINT_GROUP = "appliance.code_decoders"
_PLAIN = re.compile(r"^[0-9a-fA-F]{16}$")
_URL = re.compile(r"^(https?|ftp)://|^www\.", re.IGNORECASE)
# WeChat Pay, Alipay, UnionPay and EMVCo merchant codes as they appear in payment QR codes.
_PAYMENT = re.compile(
    r"^(wxp://|weixin://wxpay|https?://(qr\.alipay\.com|qr\.95516\.com|payapp\.weixin\.qq\.com)|000201)",
    re.IGNORECASE,
)
log = logging.getLogger(__name__)


@runtime_checkable
class CodeDecoder(Protocol):
    name: str

    def decode(self, payload: str) -> CodeFields | None: ...


class PlainCodeDecoder:
    """A bare 16-hex-digit capture code, as shown in CHSI's decoded example; no fields with it."""

    name = "plain"

    def decode(self, payload: str) -> CodeFields | None:
        text = payload.strip()
        return CodeFields(capture_code=text.lower()) if _PLAIN.match(text) else None


class ReferenceDecoder:
    """The GPC1 reference format (docs/capture-code-format.md) with the device's keys."""

    name = "reference"

    def __init__(self, codec: ReferenceCodec) -> None:
        self._codec = codec

    def decode(self, payload: str) -> CodeFields | None:
        return self._codec.decode(payload) if self._codec.claims(payload) else None


def foreign_code_error(payload: str) -> errors.CodeRejected:
    """The refusal for a payload no decoder claimed, telling the subject what they showed instead."""
    text = payload.strip()
    if not text:
        return errors.EmptyCode()
    if _PAYMENT.match(text):
        return errors.ForeignPaymentCode()
    if _URL.match(text):
        return errors.ForeignUrlCode()
    return errors.ForeignCode()


def decode_payload(payload: str, decoders: Sequence[CodeDecoder]) -> tuple[str, CodeFields]:
    """(decoder name, fields) from the first decoder that claims the payload, or the refusal."""
    for decoder in decoders:
        try:
            fields = decoder.decode(payload)
        except errors.CodeRejected:
            raise
        except Exception as exc:
            # A plug-in's bug must not crash the booth nor echo the payload into the log.
            log.error("decoder %s failed: %s", decoder.name, type(exc).__name__)
            raise errors.DecoderFailed() from exc
        if fields is not None:
            return decoder.name, fields
    raise foreign_code_error(payload)


def load_decoders(
    settings: CodesSettings, find_entry_points: Callable[[], Iterable[EntryPoint]] | None = None
) -> list[CodeDecoder]:
    """The decoders named in settings, in order; an unknown or broken plug-in stops start-up."""
    builtins: dict[str, Callable[[], CodeDecoder]] = {
        "plain": PlainCodeDecoder,
        "reference": lambda: ReferenceDecoder(ReferenceCodec(settings.key_bytes())),
    }
    if find_entry_points is None:
        def find_entry_points() -> Iterable[EntryPoint]:
            return entry_points(group=ENTRY_POINT_GROUP)
    plugins = {point.name: point for point in find_entry_points() if point.name not in builtins}
    decoders: list[CodeDecoder] = []
    for name in settings.decoders:
        if name in builtins:
            decoders.append(builtins[name]())
            continue
        point = plugins.get(name)
        if point is None:
            known = ", ".join(sorted([*builtins, *plugins]))
            raise SettingsError(f"settings: codes.decoders: no decoder named {name!r} (installed: {known})")
        try:
            decoder = point.load()(dict(settings.decoder_options.get(name, {})))
        except Exception as exc:
            raise SettingsError(f"settings: codes.decoders: plug-in {name!r} failed to load: {exc}") from exc
        if not isinstance(decoder, CodeDecoder):
            raise SettingsError(f"settings: codes.decoders: plug-in {name!r} did not return a decoder")
        decoders.append(decoder)
    return decoders

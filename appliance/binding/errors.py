"""Why a capture code or a login was refused, worded for the student in front of the booth.

Every refusal has its own class, a stable `reason` (for logs, metrics and the screen's logic) and a
one-line message, Chinese first then English, that tells the subject what to do next. Messages
never contain the payload: a code carries personal data.
"""

from __future__ import annotations

from appliance.errors import ApplianceError


class CodeRejected(ApplianceError):
    """Base of every refusal; str(exc) is the bilingual message."""

    reason = "rejected"
    message = "无法使用此二维码，请联系工作人员 / This QR code cannot be used: ask the staff"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.message)


class EmptyCode(CodeRejected):
    reason = "empty"
    message = "二维码内容为空，请重新出示图像采集码 / The QR code is empty: show your capture code again"


class ForeignUrlCode(CodeRejected):
    reason = "foreign_url"
    message = (
        "这是网址二维码，不是图像采集码，请在学信网打开您的图像采集码 / "
        "This QR code is a web link, not a capture code: open your capture code on CHSI"
    )


class ForeignPaymentCode(CodeRejected):
    reason = "foreign_payment"
    message = (
        "这是付款码或收款码，不是图像采集码，请在学信网打开您的图像采集码 / "
        "This is a payment code, not a capture code: open your capture code on CHSI"
    )


class ForeignCode(CodeRejected):
    reason = "foreign"
    message = (
        "这个二维码不是图像采集码，请在学信网打开您的图像采集码 / "
        "This QR code is not a capture code: open your capture code on CHSI"
    )


class UnsupportedCodeVersion(CodeRejected):
    reason = "unsupported_version"
    message = (
        "采集码格式版本较新，本机无法读取，请联系工作人员 / "
        "This capture code uses a newer format than this booth reads: ask the staff"
    )


class TruncatedCode(CodeRejected):
    reason = "truncated"
    message = (
        "采集码不完整，请完整显示二维码后重试 / "
        "The capture code is incomplete: show the whole code and try again"
    )


class UnknownKeyId(CodeRejected):
    reason = "unknown_key"
    message = (
        "采集码使用的密钥本机未配置，请联系工作人员 / "
        "The capture code was issued with a key this booth does not have: ask the staff"
    )


class WrongKey(CodeRejected):
    reason = "wrong_key"
    message = (
        "采集码密钥不匹配，可能不是本采集单位签发的，请联系工作人员 / "
        "The capture code was issued with a different key, not by this collection unit: ask the staff"
    )


class TamperedCode(CodeRejected):
    reason = "tampered"
    message = (
        "采集码校验失败，内容被改动或损坏，请在学信网重新打开 / "
        "The capture code failed its integrity check (altered or damaged): open it again on CHSI"
    )


class InvalidCodeContent(CodeRejected):
    reason = "invalid_content"
    message = (
        "采集码内容格式不正确，请联系工作人员 / "
        "The capture code's content is not in the expected form: ask the staff"
    )


class DecoderFailed(CodeRejected):
    reason = "decoder_failed"
    message = (
        "采集码解码程序出错，请联系工作人员 / "
        "The capture-code decoder failed: ask the staff"
    )


class WrongSchool(CodeRejected):
    reason = "wrong_school"
    message = (
        "此采集码不属于本校，请确认您在本校的采集场次 / "
        "This capture code belongs to another school: check this is your school's session"
    )


class WrongSession(CodeRejected):
    reason = "wrong_session"
    message = (
        "此采集码不属于当前场次，请核对您的采集时间和地点 / "
        "This capture code is for another session: check your session's time and place"
    )


class NoSchoolCode(CodeRejected):
    reason = "no_school_code"
    message = (
        "此采集码不含学校代码，本机也未设置学校代码（codes.school_code），无法归档照片，请联系工作人员 / "
        "This code carries no school code and the booth has none set (codes.school_code), so the photo "
        "could not be filed: ask the staff"
    )


class NoActiveSession(CodeRejected):
    reason = "no_session"
    message = (
        "当前没有进行中的采集场次，请等待工作人员开始 / "
        "No session is open: wait for the staff to start one"
    )


class NotInRoster(CodeRejected):
    reason = "not_in_roster"
    message = (
        "本场次名单中没有您，请联系工作人员核对 / "
        "You are not on this session's list: ask the staff to check"
    )


class LoginDisabled(CodeRejected):
    reason = "login_disabled"
    message = (
        "本校不支持学号登录，请使用图像采集码 / "
        "Login by student number is not allowed for this school: use your capture code"
    )


class NoRosterLoaded(CodeRejected):
    reason = "no_roster"
    message = (
        "本场次尚未导入名单，无法用学号登录，请联系工作人员 / "
        "No list is loaded for this session, so login by student number is not possible: ask the staff"
    )


class LoginFailed(CodeRejected):
    reason = "login_failed"
    message = (
        "学号或身份证号不正确，请重新输入 / "
        "The student number or ID number is not correct: enter them again"
    )


class RosterError(ApplianceError):
    """A roster file cannot be read at all (as opposed to single bad rows, which are reported)."""

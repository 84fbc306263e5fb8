"""Personal data (个人信息): validation, masking (脱敏) and field encryption (字段加密).

* 居民身份证号码 — GB 11643-1999, 18 characters, ISO 7064 MOD 11-2 check character.
* 统一社会信用代码 — GB 32100-2015, 18 characters, MOD 31 check character; its
  组织机构代码 part (positions 9–17) carries a GB 11714 MOD 11 check character.
* 银行卡号 (personal bank card, Luhn) and 对公账户 (corporate settlement account).

Every validator normalises its input (spaces removed, letters uppercased) and raises
`IdentityError` with a bilingual message saying exactly what is wrong.

`FieldCipher` encrypts ID and account numbers at rest with AES-256-GCM and computes a
盲索引 (blind index, keyed HMAC) so equal values can be found without decrypting.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import hmac
import operator
import os
from collections.abc import Callable
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from gzgov.core.errors import GzgovError


class IdentityError(GzgovError):
    """Invalid personal or organisation identifier (证件号码/代码/账号无效), or undecryptable data."""


# --------------------------------------------------------------------------- ID card (居民身份证)

ID_CARD_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CARD_CHECK_CHARS = "10X98765432"


_STRIP = str.maketrans("", "", " \t\r\n\u3000-")


def _compact(value: str) -> str:
    """Remove spaces (including full-width) and hyphens; uppercase."""
    return str(value).translate(_STRIP).upper()


def id_card_check_digit(first17: str) -> str:
    """Check character (校验码) of a GB 11643-1999 居民身份证号码 from its first 17 digits."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise IdentityError(
            "invalid_id_card",
            "身份证号码本体应为17位数字",
            "The ID card number body must be 17 digits",
            reason="format",
        )
    total = sum(map(operator.mul, map(int, first17), ID_CARD_WEIGHTS))
    return ID_CARD_CHECK_CHARS[total % 11]


def validate_id_card(value: str, today: datetime.date | None = None) -> str:
    """Validate an 18-character 居民身份证号码 and return it normalised (spaces removed, 'x' → 'X').

    Checks, in order: length and characters, birth date (出生日期: a real date, year ≥ 1900,
    not after `today`), check character (校验码).
    """
    v = _compact(value)
    if len(v) != 18 or not v[:17].isascii() or not v[:17].isdigit() or v[17] not in "0123456789X":
        raise IdentityError(
            "invalid_id_card",
            f"身份证号码格式错误：应为18位，前17位为数字、末位为数字或X（实际{len(v)}位）",
            f"ID card number format is wrong: 18 characters expected, 17 digits then a digit or X (got {len(v)})",
            reason="format",
        )
    y, m, d = int(v[6:10]), int(v[10:12]), int(v[12:14])
    try:
        birth = datetime.date(y, m, d)
    except ValueError:
        birth = None
    today = today or datetime.date.today()
    if birth is None or y < 1900 or birth > today:
        raise IdentityError(
            "invalid_id_card",
            f"身份证号码中的出生日期无效：{v[6:14]}",
            f"The birth date in the ID card number is not valid: {v[6:14]}",
            reason="birth_date",
        )
    expected = id_card_check_digit(v[:17])
    if v[17] != expected:
        raise IdentityError(
            "invalid_id_card",
            f"身份证号码校验位错误：应为 {expected}",
            f"ID card number check digit is wrong: expected {expected}",
            reason="check_digit",
            expected=expected,
        )
    return v


# ------------------------------------------------------------ credit code (统一社会信用代码)

CREDIT_CODE_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_CREDIT_VALUES = {ch: i for i, ch in enumerate(CREDIT_CODE_CHARSET)}


def _credit_format_error(v: str) -> IdentityError:
    return IdentityError(
        "invalid_credit_code",
        f"统一社会信用代码格式错误：应为18位，仅含数字和大写字母（不含I、O、S、V、Z）（实际{len(v)}位）",
        f"Unified social credit code format is wrong: 18 characters of digits and capital letters except I, O, S, V, Z (got {len(v)})",
        reason="format",
    )


def credit_code_check_char(first17: str) -> str:
    """Check character (校验码) of a GB 32100-2015 统一社会信用代码 from its first 17 characters."""
    v = first17.upper()
    if len(v) != 17 or any(ch not in _CREDIT_VALUES for ch in v):
        raise _credit_format_error(v)
    total = sum(_CREDIT_VALUES[ch] * w for ch, w in zip(v, CREDIT_CODE_WEIGHTS, strict=True))
    return CREDIT_CODE_CHARSET[(31 - total % 31) % 31]


def validate_credit_code(value: str) -> str:
    """Validate an 18-character 统一社会信用代码 (charset and check character); return it uppercased."""
    v = _compact(value)
    if len(v) != 18 or any(ch not in _CREDIT_VALUES for ch in v):
        raise _credit_format_error(v)
    expected = credit_code_check_char(v[:17])
    if v[17] != expected:
        raise IdentityError(
            "invalid_credit_code",
            f"统一社会信用代码校验位错误：应为 {expected}",
            f"Unified social credit code check character is wrong: expected {expected}",
            reason="check_digit",
            expected=expected,
        )
    return v


def org_code_check_char(body8: str) -> str:
    """GB 11714 组织机构代码 check character of an 8-character body (digits 0–9, letters A=10…Z=35)."""
    v = body8.upper()
    if len(v) != 8 or not v.isascii() or not v.isalnum():
        raise IdentityError(
            "invalid_org_code",
            "组织机构代码本体应为8位数字或大写字母",
            "The organisation code body must be 8 digits or capital letters",
            reason="format",
        )
    total = sum(int(ch, 36) * w for ch, w in zip(v, ORG_CODE_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


# ------------------------------------------------------ bank accounts (银行卡号 / 对公账户)


def luhn_check_digit(payload: str) -> str:
    """Luhn (模10) check digit to append to `payload` (digits only)."""
    if not payload or not payload.isascii() or not payload.isdigit():
        raise IdentityError(
            "invalid_bank_card",
            "银行卡号只能包含数字",
            "A bank card number may contain digits only",
            reason="format",
        )
    total = 0
    for i, ch in enumerate(reversed(payload)):
        n = int(ch)
        if i % 2 == 0:  # doubled: the rightmost payload digit sits next to the check digit
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return str((10 - total % 10) % 10)


def validate_bank_card(value: str) -> str:
    """Validate a personal 银行卡号: 16–19 digits and a correct Luhn check digit; spaces/hyphens removed."""
    v = _compact(value)
    if not (16 <= len(v) <= 19) or not v.isascii() or not v.isdigit():
        raise IdentityError(
            "invalid_bank_card",
            f"银行卡号格式错误：应为16至19位数字（实际{len(v)}位）",
            f"Bank card number format is wrong: 16 to 19 digits expected (got {len(v)})",
            reason="format",
        )
    expected = luhn_check_digit(v[:-1])
    if v[-1] != expected:
        raise IdentityError(
            "invalid_bank_card",
            f"银行卡号校验位错误：应为 {expected}，请核对卡号",
            f"Bank card number check digit is wrong: expected {expected}; please check the number",
            reason="check_digit",
            expected=expected,
        )
    return v


def validate_corporate_account(value: str) -> str:
    """Validate a 对公账户 (corporate settlement account): 8–32 digits, no check digit."""
    v = _compact(value)
    if not (8 <= len(v) <= 32) or not v.isascii() or not v.isdigit():
        raise IdentityError(
            "invalid_corporate_account",
            f"对公账户账号格式错误：应为8至32位数字（实际{len(v)}位）",
            f"Corporate account number format is wrong: 8 to 32 digits expected (got {len(v)})",
            reason="format",
        )
    return v


def validate_bank_account(value: str, personal: bool) -> str:
    """Validate a 银行账号: a personal card (Luhn) when `personal`, else a 对公账户."""
    return validate_bank_card(value) if personal else validate_corporate_account(value)


# --------------------------------------------------------------------------- masking (脱敏)


def _mask(value: str | None, head: int, tail: int) -> str:
    """Keep `head` and `tail` characters only when at least 4 and a third of the value stay hidden."""
    if not value:
        return ""
    v = _compact(value)
    hidden = len(v) - head - tail
    if hidden < 4 or hidden * 3 < len(v):
        return "*" * len(v)
    return v[:head] + "*" * hidden + v[len(v) - tail :]


def mask_id(value: str | None) -> str:
    """身份证号码脱敏: first 6 + asterisks + last 4, e.g. '440117********123X'."""
    return _mask(value, 6, 4)


def mask_account(value: str | None) -> str:
    """银行账号脱敏: first 4 + asterisks + last 4."""
    return _mask(value, 4, 4)


def mask_phone(value: str | None) -> str:
    """手机号码脱敏: '138****5678' for an 11-digit number."""
    return _mask(value, 3, 4)


# ------------------------------------------------------------- field encryption (字段加密)

TOKEN_PREFIX = "v1."
_NONCE_LEN = 12
_TAG_LEN = 16


_B64_STD = bytes.maketrans(b"-_", b"+/")
_B64_URL = bytes.maketrans(b"+/", b"-_")
_B64_PAD = (b"", b"===", b"==", b"=")


def _derive(key: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(key)


class FieldCipher:
    """字段加密: AES-256-GCM per value, plus a 盲索引 (blind index) for equality look-ups.

    Two HKDF-SHA256 subkeys are derived from the 32-byte data key, one for encryption
    (info b"gzgov field encryption") and one for the blind index (info b"gzgov blind index").
    """

    def __init__(self, key: bytes) -> None:
        if not isinstance(key, bytes | bytearray) or len(key) != 32:
            raise ValueError("FieldCipher key must be 32 bytes")
        self._aead = AESGCM(_derive(bytes(key), b"gzgov field encryption"))
        self._index_key = _derive(bytes(key), b"gzgov blind index")

    def encrypt(self, plaintext: str) -> str:
        """Encrypt to an ASCII token 'v1.' + urlsafe-base64(nonce + ciphertext + tag), unpadded."""
        nonce = os.urandom(_NONCE_LEN)
        blob = nonce + self._aead.encrypt(nonce, plaintext.encode("utf-8"), None)
        return TOKEN_PREFIX + base64.urlsafe_b64encode(blob).rstrip(b"=").decode("ascii")

    def decrypt(self, token: str) -> str:
        """Decrypt a token from `encrypt`; IdentityError('decrypt_failed') if tampered or the key is wrong."""
        try:
            if not token.startswith(TOKEN_PREFIX):
                raise ValueError("unknown token version")
            body = token[len(TOKEN_PREFIX) :]
            blob = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            if base64.urlsafe_b64encode(blob).rstrip(b"=").decode("ascii") != body:
                raise ValueError("non-canonical token encoding")
            if len(blob) < _NONCE_LEN + _TAG_LEN:
                raise ValueError("token too short")
            plain = self._aead.decrypt(blob[:_NONCE_LEN], blob[_NONCE_LEN:], None)
            return plain.decode("utf-8")
        except (InvalidTag, ValueError, binascii.Error, AttributeError, TypeError) as exc:
            raise IdentityError(
                "decrypt_failed",
                "加密数据无法解密：数据已被篡改或密钥不正确",
                "Encrypted data could not be decrypted: it was altered or the key is wrong",
            ) from exc

    def decryptor(self) -> Callable[[str], str]:
        """`decrypt` for many tokens at once (a bank file, an audit scan): the canonical token format decoded
        with the C base64 codec and opened with this cipher's AES-GCM key. A token not exactly in that form,
        or one that does not authenticate, goes through `decrypt` itself: the result never differs."""
        open_ = self._aead.decrypt
        a2b, b2a = binascii.a2b_base64, binascii.b2a_base64
        prefix = TOKEN_PREFIX.encode("ascii")
        skip = len(prefix)

        def decrypt(token: str) -> str:
            try:
                raw = token.encode("ascii")
                body = raw[skip:]
                blob = a2b(body.translate(_B64_STD) + _B64_PAD[len(body) % 4])
                if (raw[:skip] == prefix and len(blob) >= _NONCE_LEN + _TAG_LEN
                        and b2a(blob, newline=False).rstrip(b"=").translate(_B64_URL) == body):
                    return open_(blob[:_NONCE_LEN], blob[_NONCE_LEN:], None).decode("utf-8")
            except Exception:  # noqa: BLE001, S110 - decrypt() below reports the token's fault
                pass
            return self.decrypt(token)

        return decrypt

    def blind_index(self, value: str) -> str:
        """盲索引: keyed HMAC-SHA256 of `value` (first 32 hex chars). Normalise `value` first."""
        return hmac.new(self._index_key, value.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


@lru_cache(maxsize=1)
def get_cipher() -> FieldCipher:
    """The process-wide FieldCipher built from GZGOV_DATA_KEY (`Settings.data_key_bytes`)."""
    from gzgov.config import get_settings

    return FieldCipher(get_settings().data_key_bytes)


# ------------------------------------------------------ synthetic data (演示数据生成)


def make_id_card(region6: str, birth: datetime.date, seq3: int, female: bool) -> str:
    """A valid synthetic 居民身份证号码; the 17th digit (顺序码 last digit) is even for women, odd for men."""
    if len(region6) != 6 or not region6.isdigit():
        raise ValueError("region6 must be 6 digits")
    if not 0 <= seq3 <= 999:
        raise ValueError("seq3 must be 0..999")
    seq = seq3 - seq3 % 2 + (0 if female else 1)
    if seq > 999:
        seq -= 2
    first17 = f"{region6}{birth:%Y%m%d}{seq:03d}"
    return first17 + id_card_check_digit(first17)


def make_credit_code(
    region6: str, org_body8: str, registration_authority: str = "9", org_type: str = "1"
) -> str:
    """A valid synthetic 统一社会信用代码: 登记管理部门码 + 机构类别码 + 行政区划码 + 组织机构代码 + 校验码."""
    body = org_body8.upper()
    if len(region6) != 6 or not region6.isdigit():
        raise ValueError("region6 must be 6 digits")
    if len(body) != 8 or any(ch not in _CREDIT_VALUES for ch in body):
        raise ValueError("org_body8 must be 8 characters from the credit code charset")
    first17 = f"{registration_authority}{org_type}{region6}{body}{org_code_check_char(body)}".upper()
    return first17 + credit_code_check_char(first17)


def make_bank_card(bin6: str, body: str) -> str:
    """A valid synthetic 银行卡号: BIN (发卡行识别码) + body + Luhn digit, 16–19 digits in total."""
    payload = f"{bin6}{body}"
    if len(bin6) != 6 or not payload.isdigit() or not 15 <= len(payload) <= 18:
        raise ValueError("bin6 must be 6 digits and the card 16 to 19 digits in total")
    return payload + luhn_check_digit(payload)

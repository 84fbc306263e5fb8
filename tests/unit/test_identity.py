"""Personal data (个人信息): 身份证号码, 统一社会信用代码, 银行卡号, masking and field encryption."""

from __future__ import annotations

import datetime
import os

import pytest

from gzgov.core.errors import GzgovError
from gzgov.core.identity import (
    FieldCipher,
    IdentityError,
    credit_code_check_char,
    id_card_check_digit,
    luhn_check_digit,
    make_bank_card,
    make_credit_code,
    make_id_card,
    mask_account,
    mask_id,
    mask_phone,
    validate_bank_account,
    validate_bank_card,
    validate_corporate_account,
    validate_credit_code,
    validate_id_card,
)

GB11643_EXAMPLE = "11010519491231002X"  # the standard's own published example
USCC_EXAMPLE = "91350100M000100Y43"  # widely cited valid 统一社会信用代码


# ---------------------------------------------------------------- 居民身份证号码


def test_published_id_card_example_is_valid():
    assert validate_id_card(GB11643_EXAMPLE) == GB11643_EXAMPLE
    assert id_card_check_digit(GB11643_EXAMPLE[:17]) == "X"


def test_id_card_is_normalised_lowercase_x_and_spaces():
    assert validate_id_card(" 110105 19491231 002x ") == GB11643_EXAMPLE


def test_id_card_wrong_check_digit_names_expected_digit():
    with pytest.raises(IdentityError) as info:
        validate_id_card("110105194912310021")
    err = info.value
    assert isinstance(err, GzgovError)
    assert err.code == "invalid_id_card"
    assert err.details["reason"] == "check_digit"
    assert "应为 X" in err.zh and "expected X" in err.en


@pytest.mark.parametrize("value", ["11010519491231002", "11010519491231002X1", "", "11010519491231A02X"])
def test_id_card_wrong_length_or_letters_is_a_format_error(value):
    with pytest.raises(IdentityError) as info:
        validate_id_card(value)
    assert info.value.details["reason"] == "format"


@pytest.mark.parametrize(
    "birth",
    ["19490230", "19491301", "18991231", "20991231"],  # Feb 30, month 13, before 1900, future
)
def test_id_card_bad_birth_date_is_rejected(birth):
    first17 = f"110105{birth}002"
    value = first17 + id_card_check_digit(first17)
    with pytest.raises(IdentityError) as info:
        validate_id_card(value, today=datetime.date(2025, 1, 1))
    assert info.value.details["reason"] == "birth_date"


def test_id_card_birth_date_is_judged_against_given_today():
    value = make_id_card("440106", datetime.date(2024, 6, 1), 12, female=False)
    with pytest.raises(IdentityError):
        validate_id_card(value, today=datetime.date(2024, 5, 31))
    assert validate_id_card(value, today=datetime.date(2024, 6, 1)) == value


# ---------------------------------------------------------------- 统一社会信用代码


def test_published_credit_code_example_is_valid():
    assert validate_credit_code(USCC_EXAMPLE) == USCC_EXAMPLE
    assert validate_credit_code(USCC_EXAMPLE.lower()) == USCC_EXAMPLE
    assert credit_code_check_char(USCC_EXAMPLE[:17]) == "3"


def test_credit_code_wrong_check_char_is_rejected():
    with pytest.raises(IdentityError) as info:
        validate_credit_code("91350100M000100Y44")
    assert info.value.details["reason"] == "check_digit"
    assert "expected 3" in info.value.en


@pytest.mark.parametrize(
    "value", ["91350100M000100Y4", "91350100M000100Y433", "91350100I000100Y43", "91350100O000100Y43"]
)
def test_credit_code_wrong_length_or_excluded_letters_is_a_format_error(value):
    with pytest.raises(IdentityError) as info:
        validate_credit_code(value)
    assert info.value.code == "invalid_credit_code"
    assert info.value.details["reason"] == "format"


# ---------------------------------------------------------------- 银行卡号 / 对公账户


def test_luhn_example_card_is_valid_and_one_digit_off_is_not():
    assert validate_bank_card("4111-1111 1111-1111") == "4111111111111111"
    assert luhn_check_digit("411111111111111") == "1"
    with pytest.raises(IdentityError) as info:
        validate_bank_card("4111111111111112")
    assert info.value.details["reason"] == "check_digit"


@pytest.mark.parametrize("value", ["411111111111111", "41111111111111111111", "4111a11111111111"])
def test_bank_card_wrong_length_or_letters_is_rejected(value):
    with pytest.raises(IdentityError):
        validate_bank_card(value)


def test_corporate_account_needs_8_to_32_digits_but_no_luhn():
    assert validate_corporate_account("4402 0000 1234 5678 9") == "44020000123456789"
    for bad in ["1234567", "1" * 33, "44020000A2345678"]:
        with pytest.raises(IdentityError):
            validate_corporate_account(bad)


def test_validate_bank_account_dispatches_on_personal_flag():
    assert validate_bank_account("4111111111111111", personal=True) == "4111111111111111"
    assert validate_bank_account("4111111111111112", personal=False) == "4111111111111112"
    with pytest.raises(IdentityError):
        validate_bank_account("4111111111111112", personal=True)


# ---------------------------------------------------------------- 脱敏


def test_mask_id_keeps_first_six_and_last_four_only():
    assert mask_id("44011719900101123X") == "440117********123X"
    assert "19900101" not in mask_id("44011719900101123X")


def test_mask_account_and_phone():
    assert mask_account("6222020200112233445") == "6222***********3445"
    assert mask_phone("13812345678") == "138****5678"


@pytest.mark.parametrize("func", [mask_id, mask_account, mask_phone])
@pytest.mark.parametrize("value", ["", "1", "1234", "12345678", "1234567890"])
def test_masking_short_values_reveals_nothing(func, value):
    assert func(value) == "*" * len(value)


def test_masking_none_is_empty():
    assert mask_id(None) == "" and mask_account(None) == "" and mask_phone(None) == ""


# ---------------------------------------------------------------- 字段加密


def test_encrypt_decrypt_round_trip_with_chinese_text():
    cipher = FieldCipher(os.urandom(32))
    for plain in ["44011719900101123X", "张三 广州市从化区", ""]:
        token = cipher.encrypt(plain)
        assert token.startswith("v1.") and token.isascii() and "=" not in token
        assert cipher.decrypt(token) == plain


def test_two_encryptions_of_the_same_value_differ():
    cipher = FieldCipher(os.urandom(32))
    assert cipher.encrypt("44011719900101123X") != cipher.encrypt("44011719900101123X")


def test_tampered_token_is_refused():
    cipher = FieldCipher(os.urandom(32))
    token = cipher.encrypt("44011719900101123X")
    last = token[-1]
    tampered = token[:-1] + ("A" if last != "A" else "B")
    for bad in [tampered, token[:-4], "v2." + token[3:], "v1.", "garbage", "v1.!!!!"]:
        with pytest.raises(IdentityError) as info:
            cipher.decrypt(bad)
        assert info.value.code == "decrypt_failed"


def test_wrong_key_is_refused():
    token = FieldCipher(os.urandom(32)).encrypt("44011719900101123X")
    with pytest.raises(IdentityError) as info:
        FieldCipher(os.urandom(32)).decrypt(token)
    assert info.value.code == "decrypt_failed"


def test_blind_index_equal_for_equal_values_and_differs_across_keys():
    key = os.urandom(32)
    a, b = FieldCipher(key), FieldCipher(key)
    assert a.blind_index("44011719900101123X") == b.blind_index("44011719900101123X")
    assert len(a.blind_index("x")) == 32
    assert a.blind_index("44011719900101123X") != a.blind_index("44011719900101124X")
    assert a.blind_index("44011719900101123X") != FieldCipher(os.urandom(32)).blind_index(
        "44011719900101123X"
    )


def test_cipher_rejects_a_short_key():
    with pytest.raises(ValueError):
        FieldCipher(b"short")


# ---------------------------------------------------------------- 演示数据


def test_make_id_card_validates_and_encodes_sex_in_17th_digit():
    for seq in (0, 1, 998, 999):
        for female in (True, False):
            value = make_id_card("440117", datetime.date(1985, 2, 28), seq, female)
            assert validate_id_card(value) == value
            assert int(value[16]) % 2 == (0 if female else 1)


def test_make_credit_code_reproduces_published_example_and_validates():
    assert make_credit_code("350100", "M000100Y") == USCC_EXAMPLE
    value = make_credit_code(region6="440106", org_body8="MA59XXXX", registration_authority="5", org_type="2")
    assert validate_credit_code(value) == value


def test_make_bank_card_validates_for_all_lengths():
    for length in range(16, 20):
        card = make_bank_card("622202", "1" * (length - 7))
        assert len(card) == length
        assert validate_bank_card(card) == card

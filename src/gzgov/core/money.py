"""Money: Decimal yuan at the edges, integer fen inside. Never float.

Areas are held as integer ten-thousandths of a mu (`area_e4`) so that
area x rate is exact integer arithmetic: amount_fen = area_e4 * rate_fen / 10_000,
rounded half-up once, per payee.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

FEN = Decimal("0.01")
AREA_SCALE = 10_000  # area_e4 units per mu


def yuan_to_fen(value: Decimal | str | int) -> int:
    d = Decimal(str(value)) if not isinstance(value, Decimal) else value
    return int((d * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def fen_to_yuan(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(FEN)


def fmt_yuan(fen: int) -> str:
    """'12345.60' — the form amounts take in JSON and files."""
    return str(fen_to_yuan(fen))


def fmt_wan(fen: int) -> str:
    """Amount in 万元 with two decimals, as the document writes programme totals."""
    return str((Decimal(fen) / 1_000_000).quantize(FEN, rounding=ROUND_HALF_UP))


def parse_area(text: str | Decimal) -> int:
    """Area in mu (up to 4 decimals) -> integer ten-thousandths of a mu. Raises ValueError."""
    try:
        d = Decimal(str(text).strip())
    except InvalidOperation as exc:
        raise ValueError(f"not a number: {text!r}") from exc
    if not d.is_finite():
        raise ValueError(f"not a number: {text!r}")
    scaled = d * AREA_SCALE
    if scaled != scaled.to_integral_value():
        raise ValueError(f"more than 4 decimals: {text!r}")
    return int(scaled)


def area_mu(area_e4: int) -> Decimal:
    return (Decimal(area_e4) / AREA_SCALE).quantize(Decimal("0.0001"))


def fmt_area(area_e4: int) -> str:
    """Area in mu without trailing zeros and never in exponent form ("335500", "2.35")."""
    return f"{area_mu(area_e4).normalize():f}" if area_e4 else "0"


def round_half_up_div(numerator: int, denominator: int) -> int:
    """Integer division rounded half-up (away from zero for halves), exact for any size."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    q, r = divmod(abs(numerator), denominator)
    if 2 * r >= denominator:
        q += 1
    return q if numerator >= 0 else -q


def amount_fen(area_e4: int, rate_fen: int) -> int:
    """area (e4 mu) x rate (fen per mu) -> fen, rounded half-up."""
    return round_half_up_div(area_e4 * rate_fen, AREA_SCALE)


def split_fen(total: int, weights: list[int]) -> list[int]:
    """Split `total` fen in proportion to integer weights; parts sum exactly to total
    (largest-remainder method, ties to the earlier part)."""
    wsum = sum(weights)
    if wsum <= 0:
        raise ValueError("weights must sum to a positive number")
    floors = [total * w // wsum for w in weights]
    rest = total - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % wsum), i))
    for i in order[:rest]:
        floors[i] += 1
    return floors

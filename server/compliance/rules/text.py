"""Wording shared by rule messages: quantities and lists as a floor worker reads them."""

from decimal import Decimal

LISTED = 5  # UIDs named in one message before "and N more"


def grams(value: Decimal) -> str:
    """``1500`` -> ``"1500 g"``, ``Decimal("12.50")`` -> ``"12.5 g"``; never exponent form."""
    return f"{value.normalize():f} g" if value != 0 else "0 g"


def uid_list(uids: list[str], limit: int = LISTED) -> str:
    """``UID A`` / ``UIDs A, B, C, D, E and 3 more``: a long list stays one readable line."""
    if len(uids) == 1:
        return f"UID {uids[0]}"
    more = len(uids) - limit
    return f"UIDs {', '.join(uids[:limit])}{f' and {more} more' if more > 0 else ''}"

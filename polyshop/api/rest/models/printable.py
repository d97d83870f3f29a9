"""Text as the shop accepts it: no NUL or other control characters (PostgreSQL cannot store
NUL at all, and neither belongs in a name, an address or a reason)."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _printable(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


Printable = Annotated[str, AfterValidator(_printable)]

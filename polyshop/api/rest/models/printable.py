"""Text as the shop accepts it: no NUL or other control characters (PostgreSQL cannot store
NUL at all, and neither belongs in a name, an address or a reason).

The OpenAPI document states the same rule as a pattern (`PRINTABLE`), and `NOT_BLANK` for
fields that must keep a character once their surrounding whitespace is stripped.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROLS = r"\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f"
#: What the document says of printable text: no control character (tab and newlines are fine).
PRINTABLE = rf"^[^{_CONTROLS}]*$"
#: Printable, and not blank: at least one character that is not whitespace (as Python's
#: `str.strip` sees it, which also strips U+0085).
NOT_BLANK = rf"^[^{_CONTROLS}]*[^\s\u0085{_CONTROLS}][^{_CONTROLS}]*$"


def _printable(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


class _Documented:
    """States the rule in the JSON schema, unless the field has a pattern of its own (which
    then says more)."""

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        schema.setdefault("pattern", PRINTABLE)
        return schema


Printable = Annotated[str, AfterValidator(_printable), _Documented()]

"""`schema.graphql` at the repository's root is the schema the code serves: clients (and
reviewers) read that file, so a change to the schema must change it too."""

from __future__ import annotations

import difflib
from pathlib import Path

from click.testing import CliRunner

from polyshop.cli import main

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schema.graphql"


def test_schema_graphql_is_the_printed_schema():
    printed = CliRunner().invoke(main, ["graphql-schema"], catch_exceptions=False)
    assert printed.exit_code == 0, printed.output
    on_disk = SCHEMA_FILE.read_text(encoding="utf-8")
    if on_disk != printed.output:
        diff = difflib.unified_diff(
            on_disk.splitlines(), printed.output.splitlines(), "schema.graphql", "the code", n=1
        )
        shown = "\n".join(list(diff)[:60])
        raise AssertionError(
            "schema.graphql is not the schema the code serves; regenerate it with\n"
            "    polyshop graphql-schema > schema.graphql\n"
            f"and commit it. The difference:\n{shown}"
        )

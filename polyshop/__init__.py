"""polyshop: an e-commerce platform on polyglot persistence, CQRS and event sourcing."""

from __future__ import annotations


def __getattr__(name: str) -> str:
    """`polyshop.__version__`: the installed distribution's version (pyproject.toml's, read
    through importlib.metadata), so the API, the CLI and the package can never disagree.
    Looked up on first use: the metadata scan stays off the import path of every command."""
    if name == "__version__":
        from importlib.metadata import version

        return version("polyshop")
    raise AttributeError(f"module 'polyshop' has no attribute {name!r}")

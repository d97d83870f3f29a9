"""polyshop: an e-commerce platform on polyglot persistence, CQRS and event sourcing."""

__version__ = "0.1.0"

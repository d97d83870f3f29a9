"""The composition root: the one place that knows every adapter and wires them by config."""

from polyshop.bootstrap.shop import build, build_projections
from polyshop.bootstrap.stores import StartupError, rebuild_in_a_process

__all__ = ["StartupError", "build", "build_projections", "rebuild_in_a_process"]

"""Errors of the AIArena plugin. Each message is one sentence a user can act on."""

from ape.exceptions import ApeException


class ArenaError(ApeException):
    """Base class of every error the plugin raises on purpose."""


class DeploymentFileError(ArenaError):
    """A deployment record exists but cannot be read."""

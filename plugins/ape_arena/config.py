"""The `arena:` section of ape-config.yaml."""

from ape.api.config import PluginConfig


class ArenaConfig(PluginConfig):
    """Settings of the AIArena plugin.

    Example (ape-config.yaml)::

        arena:
          deployments_folder: deployments
    """

    deployments_folder: str = "deployments"
    """Folder, relative to the project root, holding one
    `<ecosystem>-<network>.json` deployment record per network."""

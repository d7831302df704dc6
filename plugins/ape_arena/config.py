"""The `arena:` section of ape-config.yaml."""

from ape.api.config import PluginConfig


class ArenaConfig(PluginConfig):
    """Settings of the AIArena plugin.

    Example (ape-config.yaml)::

        arena:
          deployments_folder: deployments
          data_folder: .arena
          store: s3://my-bucket/arena      # default: <data_folder>/store
          device: auto                     # auto, cpu, cuda, cuda:1
          fetch_timeout: 600               # seconds per artifact download
          score_timeout: 3600              # seconds per model scored
    """

    deployments_folder: str = "deployments"
    """Folder, relative to the project root, holding one
    `<ecosystem>-<network>.json` deployment record per network."""

    data_folder: str = ".arena"
    """The node's own folder, relative to the project root: `state/` (salts,
    scores, what was committed: back it up), `work/` (data, models,
    downloads) and, by default, `store/`."""

    store: str | None = None
    """Where artifacts are published: a folder, or any fsspec URL (s3://,
    gs://, https://, memory://). Default: `<data_folder>/store`."""

    device: str = "auto"
    """Torch device for training and scoring: auto (a GPU when there is one),
    cpu, cuda or cuda:N."""

    max_download_bytes: int = 2 * 1024**3
    """Largest artifact the node downloads (models are further bounded by
    their task's max_params)."""

    fetch_timeout: float = 600.0
    """Seconds one artifact's download may take (a task's spec or eval set,
    or one submitted model); a model past it is scored INVALID."""

    score_timeout: float = 3_600.0
    """Seconds the scoring of one submitted model may take; past it the
    model is scored INVALID (set it well above what the task's largest
    allowed model needs on this machine)."""

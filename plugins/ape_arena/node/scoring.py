"""A validator's scoring of one task: every submission fetched, checked and
scored on its own, so no artifact can stop the others.

`TaskScorer` reads the task's eval set once (a bad eval set is the task's
fault: one `KindError` for the whole task), then `score` takes one
submission at a time and always returns a `ScoreResult`:

1. the manifest is fetched and judged by the model-folder rules
   (`ape_arena.model_rules`) before any file is downloaded: only the
   allowed names, each within its limit for the task's max_params;
2. the files are downloaded within `fetch_timeout_s`, verified against the
   manifest, and the folder is checked again on disk (`check_model_dir`);
3. the kind scores the model within `score_timeout_s` (`score_model`).

Whatever goes wrong in those steps makes the submission INVALID with a
reason of at most `MAX_REASON_CHARS` printable characters; nothing raised
by one artifact reaches the caller. Chain-free, so it is tested alone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ape_arena.artifacts import ArtifactError, Manifest, fetch_artifact
from ape_arena.kinds.base import ScoreResult, TaskKind

# What a validator allows one submission by default (node settings override them).
FETCH_TIMEOUT_S = 600.0
SCORE_TIMEOUT_S = 3_600.0

Fetch = Callable[..., Path]


@dataclass(frozen=True)
class Submission:
    """A revealed model: who submitted it, its artifact hash and where to get it."""

    trainer: str
    model_hash: bytes
    uri: str


class TaskScorer:
    """Scores the submissions of one task against its eval set, read once."""

    def __init__(
        self,
        kind: TaskKind,
        kind_params: Mapping[str, Any],
        eval_dir: Path,
        downloads: Path,
        device: str = "auto",
        *,
        fetch_timeout_s: float | None = FETCH_TIMEOUT_S,
        score_timeout_s: float | None = SCORE_TIMEOUT_S,
        fetch: Fetch = fetch_artifact,
    ) -> None:
        """Read the eval set; raises the kind's `SpecError` or `DataError` if it is unusable."""
        self.kind = kind
        self.device = device
        self.downloads = Path(downloads)
        self.fetch_timeout_s = fetch_timeout_s
        self.score_timeout_s = score_timeout_s
        self._fetch = fetch
        self.eval_set = kind.prepare_eval(eval_dir, kind_params, device)
        self.task = self.eval_set.task
        self.max_params = int(self.task["max_params"])

    def score(self, submission: Submission, earlier: Sequence[Submission] = ()) -> ScoreResult:
        """Fetch, check and score one submission; INVALID with a reason when anything fails.

        `earlier` are the revealed submissions committed before it: the kind may
        find it a near-copy of one of them (`TaskKind.copied_from`).
        """
        try:
            folder = self._fetched(submission)
        except ArtifactError as error:
            return ScoreResult.invalid(str(error))
        except Exception as error:  # a store or a file system failing on a hostile artifact
            kind = type(error).__name__
            return ScoreResult.invalid(f"the model could not be fetched ({kind}: {error})")
        if earlier:
            others = []
            for other in earlier:
                try:
                    others.append((other.trainer, self._fetched(other)))
                except Exception:  # an unusable earlier submission cannot be copied from
                    continue
            try:
                copied = self.kind.copied_from(folder, others, self.eval_set)
            except Exception as error:  # a hostile artifact breaking the comparison
                kind = type(error).__name__
                return ScoreResult.invalid(f"the model could not be compared ({kind}: {error})")
            if copied:
                return ScoreResult.invalid(copied)
        return self.kind.score_model(
            folder, self.eval_set, self.device, timeout_s=self.score_timeout_s
        )

    def _fetched(self, submission: Submission) -> Path:
        """The submission's folder, fetched (once: later calls find it) and checked."""
        folder = self._fetch(
            submission.uri,
            submission.model_hash,
            self.downloads,
            self.kind.max_submission_bytes(self.task),
            timeout_s=self.fetch_timeout_s,
            check=self._check_manifest,
        )
        self.kind.check_submission(folder, self.task)
        return folder

    def _check_manifest(self, manifest: Manifest) -> None:
        """Refuse a submission by its manifest alone, before downloading a byte of it."""
        problem = self.kind.submission_problem({e.path: e.size for e in manifest.files}, self.task)
        if problem:
            raise ArtifactError(f"the model artifact is refused: {problem}")

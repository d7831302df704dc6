"""Where a refused transaction becomes a sentence: one place for every contract client."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def revert_reason(err: BaseException) -> str:
    """The contract's reason string of a revert (they are namespaced: "task: ...")."""
    reason = getattr(err, "revert_message", None) or getattr(err, "message", None) or str(err)
    return str(reason or "no reason given").strip().rstrip(".")


def refused(what: str, err: BaseException, hint: str) -> str:
    """ "The chain refused <what> (<reason>); <hint>." """
    return f"The chain refused {what} ({revert_reason(err)}); {hint}."


def send_checked(
    what: str, hint: str, error: type[Exception], method: Callable[..., Any], *args, **kwargs
) -> Any:
    """Send a transaction; a revert that the pre-flight checks did not foresee becomes
    `error` with one sentence naming what was refused, why and what to do."""
    from ape.exceptions import ContractLogicError

    try:
        return method(*args, **kwargs)
    except ContractLogicError as err:
        raise error(refused(what, err, hint)) from None

"""Reading events: a contract's past logs since its deployment, and a receipt's."""

from typing import Any


def logs(contract, event_name: str, start_block: int = 0, **topics: Any) -> list:
    """Every `event_name` log of `contract` since `start_block`, oldest first,
    filtered by indexed arguments (`task_id=3`)."""
    from ape.types import LogFilter

    provider = contract.provider
    log_filter = LogFilter.from_event(
        event=getattr(contract, event_name),
        search_topics=topics or None,
        addresses=[contract.address],
        start_block=start_block,
        stop_block=provider.get_block("latest").number,
    )
    return list(provider.get_contract_logs(log_filter))


def receipt_event(receipt, name: str):
    """The first log called `name` in a transaction's receipt (from any contract), or None."""
    for log in receipt.events:
        if log.event_name == name:
            return log
    return None

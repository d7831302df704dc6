"""Reading a contract's past events from the deployment block to the head."""

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

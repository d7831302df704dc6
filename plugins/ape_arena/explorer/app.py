"""The explorer's Starlette application: routes from URLs to `data` reads and `pages`.

Read-only and bound to 127.0.0.1 by default (`ape arena serve`). A URL that
names nothing (an unknown task, pool or proposal, a malformed address or
number) gets a 404 page with one sentence; an RPC failure a 503 page.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from ape_arena.explorer import pages
from ape_arena.explorer.data import ExplorerData, NotFound

_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")


def _number(text: str, what: str) -> int:
    if not text.isdigit() or len(text) > 30:
        raise NotFound(f"{text[:40]!r} is not a {what} number; use a whole number such as 1.")
    return int(text)


def _page(request: Request) -> int:
    return _number(request.query_params.get("page", "1"), "page")


def _address(text: str) -> str:
    from eth_utils import to_checksum_address

    if not _ADDRESS.fullmatch(text):
        raise NotFound(f"{text[:60]!r} is not an address; use 0x and 40 hex digits.")
    return to_checksum_address(text)


def create_app(data: ExplorerData) -> Starlette:
    """The explorer for one deployment's `data`."""

    def view(render: Callable[[Request], str]) -> Callable[[Request], Response]:
        def endpoint(request: Request) -> Response:
            try:
                return HTMLResponse(render(request))
            except NotFound as error:
                return HTMLResponse(pages.not_found(str(error)), status_code=404)
            except Exception as error:  # the RPC node failing, not the visitor's mistake
                message = (
                    f"The chain could not be read ({type(error).__name__}); try again shortly."
                )
                return HTMLResponse(pages.not_found(message), status_code=503)

        return endpoint

    def tasks(request: Request) -> str:
        return pages.tasks_page(data.tasks(_page(request)), data.head())

    def task(request: Request) -> str:
        task_id = _number(request.path_params["task_id"], "task")
        return pages.task_page(data.task(task_id), data.head())

    def pools(request: Request) -> str:
        return pages.pools_page(data.pools(_page(request)), data.head())

    def pool(request: Request) -> str:
        return pages.pool_page(data.pool(_address(request.path_params["operator"])), data.head())

    def address(request: Request) -> str:
        return pages.position_page(
            data.position(_address(request.path_params["address"])), data.head()
        )

    def proposals(request: Request) -> str:
        return pages.proposals_page(data.proposals(_page(request)), data.head())

    def proposal(request: Request) -> str:
        proposal_id = _number(request.path_params["proposal_id"], "proposal")
        return pages.proposal_page(data.proposal(proposal_id), data.head())

    def head(_request: Request) -> Response:
        return JSONResponse(data.head())

    def missing(request: Request, _exc: Any) -> Response:
        return HTMLResponse(
            pages.not_found(f"Nothing lives at {request.url.path[:80]}."), status_code=404
        )

    routes = [
        Route("/", view(tasks)),
        Route("/task/{task_id}", view(task)),
        Route("/pools", view(pools)),
        Route("/pool/{operator}", view(pool)),
        Route("/address/{address}", view(address)),
        Route("/proposals", view(proposals)),
        Route("/proposal/{proposal_id}", view(proposal)),
        Route("/api/head", head),
    ]
    return Starlette(routes=routes, exception_handlers={404: missing})

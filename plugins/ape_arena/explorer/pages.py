"""The explorer's HTML pages, rendered from `explorer.data`'s dicts.

Pure rendering: no chain, no Ape. Every value from the chain is escaped
(task kinds, URIs and descriptions are other people's text). Each page polls
`/api/head` every few seconds and reloads when a new block arrives; the
countdowns tick in the browser between reloads.
"""

from __future__ import annotations

import datetime
import html
from collections.abc import Iterable, Sequence
from typing import Any

from ape_arena.kinds.scores import INVALID_SCORE, from_score
from ape_arena.units import format_arena

_STYLE = """
body{font-family:system-ui,sans-serif;margin:0;color:#1d2430;background:#f6f7f9}
header{background:#1d2430;color:#fff;padding:.8rem 1.5rem;display:flex;gap:1.5rem}
header a{color:#cfe3ff;text-decoration:none}header b{font-size:1.1rem}
main{padding:1rem 1.5rem;max-width:1200px}
table{border-collapse:collapse;background:#fff;margin:.5rem 0 1.5rem;width:100%}
th,td{border-bottom:1px solid #e3e6eb;padding:.35rem .6rem;text-align:left;font-size:.92rem}
th{background:#eef1f5}td.num{text-align:right;font-variant-numeric:tabular-nums}
.muted{color:#6b7480}.bar{background:#4f7cff;height:.7rem;display:inline-block}
.nav a{margin-right:.8rem}
"""

_SCRIPT = """
<script>
let seen = null;
async function poll() {
  try {
    const head = await (await fetch('/api/head')).json();
    if (seen !== null && head.number !== seen) { location.reload(); return; }
    seen = head.number;
    document.querySelectorAll('[data-deadline]').forEach(function (el) {
      const left = Number(el.dataset.deadline) - head.timestamp;
      el.textContent = left > 0 ? countdown(left) : 'due';
    });
  } catch (e) {}
}
function countdown(s) {
  const d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
  return (d ? d + 'd ' : '') + (d || h ? h + 'h ' : '') + m + 'm ' + (s % 60) + 's';
}
poll(); setInterval(poll, 3000);
</script>
"""


def e(value: object) -> str:
    return html.escape(str(value), quote=True)


def arena(wei: int) -> str:
    return format_arena(int(wei))


def when(timestamp: int | None) -> str:
    if not timestamp:
        return "-"
    moment = datetime.datetime.fromtimestamp(int(timestamp), datetime.UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def metric(score: int | None) -> str:
    if score is None or int(score) == INVALID_SCORE:
        return "invalid"
    return f"{from_score(int(score)):.4f}"


def short(address: str) -> str:
    return f"{address[:8]}...{address[-4:]}"


def link_address(address: str) -> str:
    return f'<a href="/address/{e(address)}" title="{e(address)}">{e(short(address))}</a>'


def table(
    headers: Sequence[str], rows: Iterable[Sequence[str]], numeric: Iterable[int] = ()
) -> str:
    """An HTML table; cells are already-escaped HTML, `numeric` columns right-aligned."""
    right = set(numeric)
    head = "".join(f"<th>{e(h)}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{cell}</td>' if i in right else f"<td>{cell}</td>"
            for i, cell in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def page(title: str, body: str, head: dict[str, int] | None = None) -> str:
    block = f'<span class="muted">block {head["number"]:,}</span>' if head else ""
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>{e(title)} · AIArena explorer</title><style>{_STYLE}</style></head><body>"
        '<header><b>AIArena explorer</b><span class="nav"><a href="/">tasks</a>'
        '<a href="/pools">pools</a><a href="/proposals">governance</a></span>'
        f"{block}</header><main><h1>{e(title)}</h1>{body}</main>{_SCRIPT}</body></html>"
    )


def not_found(message: str) -> str:
    return page(
        "Not found", f"<p id=not-found>{e(message)}</p><p><a href='/'>Back to the tasks</a></p>"
    )


def countdown_cell(deadline: int | None) -> str:
    if not deadline:
        return "-"
    return f'<span data-deadline="{int(deadline)}">{e(when(deadline))}</span>'


def tasks_page(data: dict[str, Any], head: dict[str, int]) -> str:
    rows = [
        (
            f'<a href="/task/{t["task_id"]}">{t["task_id"]}</a>',
            e(t["kind"]),
            e(t["phase"]),
            countdown_cell(t["next_deadline"]),
            arena(t["reward"]),
            arena(t["emission"]),
            f"{t['n_trainers']}/{t['max_trainers']}",
            f"{t['n_validators']}/{t['max_validators']}",
        )
        for t in data["tasks"]
    ]
    body = table(
        [
            "task",
            "kind",
            "phase",
            "next deadline in",
            "reward ARENA",
            "emission ARENA",
            "trainers",
            "validators",
        ],
        rows,
        numeric=(4, 5),
    )
    if not data["tasks"]:
        body = "<p>No tasks yet; post one with <code>ape arena task create</code>.</p>"
    return page("Tasks", paged(data, "tasks", "/", body, ("newer", "older")), head)


def paged(data: dict[str, Any], noun: str, path: str, body: str, labels: tuple[str, str]) -> str:
    """`body` between a line that says which page of how many rows this is and
    links to the pages before and after it."""
    number, pages = data["page"], data["pages"]
    pager = []
    if number > 1:
        pager.append(f'<a href="{path}?page={number - 1}">{labels[0]}</a>')
    if number < pages:
        pager.append(f'<a href="{path}?page={number + 1}">{labels[1]}</a>')
    count = data["count"]
    noun = noun[:-1] if count == 1 else noun
    summary = f'<p class="muted">{count} {noun}, page {number} of {pages}</p>'
    return summary + body + f'<p class="pager">{" ".join(pager)}</p>'


def task_page(task: dict[str, Any], head: dict[str, int]) -> str:
    facts = table(
        [
            "phase",
            "next deadline in",
            "reward ARENA",
            "emission ARENA",
            "to trainers",
            "to validators",
            "protocol fee",
            "creator",
        ],
        [
            (
                e(task["phase"]),
                countdown_cell(task["next_deadline"]),
                arena(task["reward"]),
                arena(task["emission"]),
                arena(task["train_reward"]),
                arena(task["validator_reward"]),
                arena(task["protocol_fee"]),
                link_address(task["creator"]),
            )
        ],
    )
    validators = [v["validator"] for v in task["validators"]]
    best = max((s["reward"] for s in task["submissions"]), default=0) or 1
    board = table(
        [
            "rank",
            "trainer",
            "consensus",
            *[f"by {short(v)}" for v in validators],
            "status",
            "reward ARENA",
            "reward",
        ],
        [
            (
                "-" if s["rank"] is None else str(s["rank"]),
                link_address(s["trainer"]),
                metric(s["consensus"]),
                *[metric(s["scores"].get(v)) for v in validators],
                e(s["status"]),
                arena(s["reward"]),
                f'<span class="bar" style="width:{int(120 * s["reward"] / best)}px"></span>',
            )
            for s in task["submissions"]
        ],
        numeric=(len(validators) + 4,),
    )
    trust = table(
        ["validator", "trust", "reward ARENA", "slashed ARENA"],
        [
            (
                link_address(v["validator"]),
                "-" if v["trust_wad"] is None else f"{v['trust_wad'] / 10**18:.3f}",
                arena(v["reward"]),
                arena(v["slashed"]),
            )
            for v in task["validators"]
        ],
        numeric=(2, 3),
    )
    body = (
        f'<p class="muted">kind {e(task["kind"])}; lower scores are better.</p>{facts}'
        f'<h2>Leaderboard</h2><div id="leaderboard">{board}</div><h2>Validators</h2>{trust}'
    )
    return page(f"Task {task['task_id']}", body, head)


def pools_page(data: dict[str, Any], head: dict[str, int]) -> str:
    pools = data["pools"]
    rows = [
        (
            f'<a href="/pool/{e(p["operator"])}">{e(short(p["operator"]))}</a>',
            f"{p['commission_bps'] / 100:.2f}%",
            _pending(p),
            arena(p["own_stake"]),
            arena(p["delegated_stake"]),
            arena(p["locked"]),
            arena(p["slashed"]),
            "-" if p["reward_rate"] is None else f"{p['reward_rate'] * 100:.2f}%",
        )
        for p in pools
    ]
    body = table(
        [
            "operator",
            "commission",
            "pending raise",
            "own stake",
            "delegated",
            "locked",
            "slashed",
            "reward per stake locked",
        ],
        rows,
        numeric=(3, 4, 5, 6, 7),
    )
    note = (
        '<p class="muted">Reward per stake locked: what the pool\'s last ten settled tasks '
        "paid into it, over the stake it had locked in them.</p>"
    )
    if not pools:
        body = "<p>No pools yet; an operator opens one with <code>ape arena pool open</code>.</p>"
    return page("Pools", note + paged(data, "pools", "/pools", body, ("earlier", "later")), head)


def _pending(pool: dict[str, Any]) -> str:
    if pool["pending_bps"] is None:
        return "-"
    return f"{pool['pending_bps'] / 100:.2f}% from {e(when(pool['pending_at']))}"


def pool_page(pool: dict[str, Any], head: dict[str, int]) -> str:
    facts = table(
        ["commission", "pending raise", "own stake", "delegated", "total", "locked", "slashed"],
        [
            (
                f"{pool['commission_bps'] / 100:.2f}%",
                _pending(pool),
                arena(pool["own_stake"]),
                arena(pool["delegated_stake"]),
                arena(pool["total_assets"]),
                arena(pool["locked"]),
                arena(pool["slashed"]),
            )
        ],
    )
    history = table(
        ["task", "stake locked", "reward ARENA", "slashed ARENA"],
        [
            (
                f'<a href="/task/{h["task_id"]}">{h["task_id"]}</a>',
                arena(h["stake"]),
                arena(h["reward"]),
                arena(h["slashed"]),
            )
            for h in pool["tasks"]
        ],
        numeric=(1, 2, 3),
    )
    return page(
        f"Pool of {pool['operator']}",
        f'<div id="pool">{facts}</div><h2>Recent tasks</h2>{history}',
        head,
    )


def position_page(position: dict[str, Any], head: dict[str, int]) -> str:
    unclaimed = ", ".join(f'<a href="/task/{t}">{t}</a>' for t in position["unclaimed_tasks"])
    facts = table(
        ["wallet ARENA", "votes", "own pool", "commission to claim", "tasks to claim"],
        [
            (
                arena(position["wallet"]),
                arena(position["votes"]),
                "open" if position["pool_opened"] else "none",
                arena(position["commission_owed"]),
                unclaimed or "-",
            )
        ],
    )
    stakes = table(
        ["pool", "stake ARENA", "reserved", "unbonding", "unlocks"],
        [
            (
                f'<a href="/pool/{e(s["operator"])}">{e(short(s["operator"]))}</a>',
                arena(s["assets"]),
                arena(s["reserved"]),
                arena(s["unbonding"]),
                e(when(s["unlock_at"])) if s["unbonding"] else "-",
            )
            for s in position["stakes"]
        ],
        numeric=(1, 2, 3),
    )
    return page(
        f"Address {position['address']}",
        f'<div id="position">{facts}</div><h2>Stakes</h2>{stakes}',
        head,
    )


def proposals_page(data: dict[str, Any], head: dict[str, int]) -> str:
    proposals = data["proposals"]
    rows = [
        (
            f'<a href="/proposal/{p["id"]}">{p["id"]}</a>',
            e(p["state"]),
            arena(p["for_votes"]),
            arena(p["against_votes"]),
            arena(p["abstain_votes"]),
            arena(p["quorum"]),
            e(when(p["eta"])) if p["eta"] else "-",
            e((p["description"].splitlines() or [""])[0][:80]),
        )
        for p in proposals
    ]
    body = table(
        ["id", "state", "for", "against", "abstain", "quorum", "ETA", "description"],
        rows,
        numeric=(2, 3, 4, 5),
    )
    if not proposals:
        body = "<p>No proposals yet.</p>"
    return page(
        "Governance proposals",
        paged(data, "proposals", "/proposals", body, ("newer", "older")),
        head,
    )


def proposal_page(p: dict[str, Any], head: dict[str, int]) -> str:
    facts = table(
        ["state", "proposer", "for", "against", "abstain", "quorum", "voting ends", "ETA"],
        [
            (
                e(p["state"]),
                link_address(p["proposer"]),
                arena(p["for_votes"]),
                arena(p["against_votes"]),
                arena(p["abstain_votes"]),
                arena(p["quorum"]),
                e(when(p["vote_end"])),
                e(when(p["eta"])) if p["eta"] else "-",
            )
        ],
    )
    actions = "".join(f"<li>{e(a)}</li>" for a in p["actions"])
    return page(
        f"Proposal {p['id']}",
        f'<div id="proposal">{facts}</div><p>{e(p["description"])}</p>'
        f"<h2>Actions</h2><ol>{actions}</ol>",
        head,
    )

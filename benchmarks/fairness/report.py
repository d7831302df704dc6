"""Markdown tables of the fairness results (pasted into docs/fairness.md)."""

from __future__ import annotations

from collections.abc import Callable


def fmt(s: dict | None, digits: int = 2, scale: float = 1.0, ci: bool = True) -> str:
    """'mean ± ci95' of a summary; '–' when missing or undefined."""
    if not s or s.get("mean") is None:
        return "–"
    mean = s["mean"] * scale
    text = f"{mean:.{digits}f}"
    if ci and s.get("ci95") is not None:
        text += f" ± {s['ci95'] * scale:.{digits}f}"
    return text


def pct(s: dict | None, ci: bool = True) -> str:
    return fmt(s, 1, 100, ci) + ("" if not s or s.get("mean") is None else "%")


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


Cell = Callable[[dict], str]


def _metric(key: str, show: Callable[..., str] = fmt, **options) -> Cell:
    """A column's cell: the summary `key` of a record's metrics, shown by `show`."""
    return lambda record: show(record["metrics"].get(key), **options)


def _rows_table(records: list[dict], columns: list[tuple[str, Cell]]) -> str:
    """A table with a row per record and, per column, its header and cell."""
    header = [name for name, _ in columns]
    return _table(header, [[cell(record) for _, cell in columns] for record in records])


def scenario_table(data: dict) -> str:
    columns = [
        ("scenario", lambda sc: f"`{sc['name']}`"),
        ("what", lambda sc: sc["title"]),
        ("ρ(quality, reward)", _metric("rho_reward")),
        ("ρ(quality, reward/stake)", _metric("rho_reward_per_stake")),
        ("best model first", _metric("top1", pct, ci=False)),
        ("Gini honest trainers", _metric("gini_trainers")),
        ("Gini honest validators, per stake", _metric("gini_validators_per_stake")),
        ("honest validators' trust", _metric("trust_honest")),
    ]
    return _rows_table(data["scenarios"], columns)


_NOTES = {
    "promoted_rank0": "promoted model ranked first",
    "plagiarist_disqualified": "plagiarists disqualified",
    "plagiarist_outranks_original": "a copy outranks the original",
}


def adversary_table(data: dict) -> str:
    rows = []
    for sc in data["scenarios"]:
        m = sc["metrics"]
        notes = ", ".join(f"{label} {pct(m[k], ci=False)}" for k, label in _NOTES.items() if k in m)
        for i, g in enumerate(sc["focus"]):
            if f"{g}.advantage" not in m and f"{g}.reward_share" not in m:
                continue
            alliance = g.startswith("alliance.")
            rows.append(
                [
                    f"`{sc['name']}`" if i == 0 else "",
                    g + (" (all roles)" if alliance else ""),
                    pct(m.get(f"{g}.stake_share")),
                    pct(m.get(f"{g}.reward_share")),
                    fmt(m.get(f"{g}.advantage")),
                    "" if alliance else fmt(m.get(f"{g}.relative")),
                    "" if alliance else fmt(m.get(f"{g}.return_pct"), 1),
                    fmt(m.get(f"{g}.gain")) if f"{g}.gain" in m else "",
                    fmt(m.get(f"{g}.trust")) if f"{g}.trust" in m else "",
                    notes if i == 0 else "",
                ]
            )
    return _table(
        [
            "scenario",
            "group",
            "stake share",
            "reward share",
            "advantage",
            "return vs honest peers",
            "return on stake, %",
            "gain vs baseline",
            "trust",
            "notes",
        ],
        rows,
    )


def outlier_table(data: dict) -> str:
    """The outlier rule: who a "score further than 10 tolerances from the
    consensus" test would flag, per validator group."""
    rows = []
    for sc in data["scenarios"]:
        m = sc["metrics"]
        groups = sorted(
            k.split(".")[1] for k in m if k.startswith("validator.") and k.endswith(".flagged")
        )
        if groups == ["honest"] and sc["name"] != "honest":
            continue
        cells = [f"{g}: {pct(m[f'validator.{g}.flagged'], ci=False)}" for g in groups]
        rows.append([f"`{sc['name']}`", ", ".join(cells)])
    return _table(["scenario", "validators flagged, by group"], rows)


def tied_rank_table(data: dict) -> str:
    """Trainer groups under the contract's ranking and under tied ranks."""
    rows = []
    for sc in data["scenarios"]:
        m = sc["metrics"]
        for g in sc["focus"]:
            if not g.startswith("trainer.") or f"cf.{g}.advantage" not in m:
                continue
            rows.append(
                [
                    f"`{sc['name']}`",
                    g,
                    fmt(m.get(f"{g}.advantage")),
                    fmt(m.get(f"cf.{g}.advantage")),
                    fmt(m.get(f"{g}.gain")) if f"{g}.gain" in m else "",
                    fmt(m.get(f"cf.{g}.gain")) if f"cf.{g}.gain" in m else "",
                    f"{fmt(m.get('gini_trainers'), ci=False)} → "
                    f"{fmt(m.get('cf.gini_trainers'), ci=False)}",
                    f"{fmt(m.get('rho_reward_per_stake'), ci=False)} → "
                    f"{fmt(m.get('cf.rho_reward_per_stake'), ci=False)}",
                ]
            )
    for name in ("honest", "noisy_above"):
        m = next((s["metrics"] for s in data["scenarios"] if s["name"] == name), None)
        if m:
            rows.append(
                [
                    f"`{name}`",
                    "trainer.honest",
                    fmt(m.get("trainer.honest.advantage")),
                    fmt(m.get("cf.trainer.honest.advantage")),
                    "",
                    "",
                    f"{fmt(m.get('gini_trainers'), ci=False)} → "
                    f"{fmt(m.get('cf.gini_trainers'), ci=False)}",
                    f"{fmt(m.get('rho_reward_per_stake'), ci=False)} → "
                    f"{fmt(m.get('cf.rho_reward_per_stake'), ci=False)}",
                ]
            )
    return _table(
        [
            "scenario",
            "group",
            "advantage (contract)",
            "advantage (tied ranks)",
            "gain (contract)",
            "gain (tied ranks)",
            "Gini honest trainers",
            "ρ(quality, reward/stake)",
        ],
        rows,
    )


def noise_table(data: dict) -> str:
    columns = [
        ("noise σ, bps", lambda row: f"{row['noise_bps']:g}"),
        ("ρ(quality, rank)", _metric("rho_rank")),
        ("ρ(quality, reward/stake)", _metric("rho_reward_per_stake")),
        ("best model first", _metric("top1", pct, ci=False)),
        ("trust", _metric("trust_honest")),
        ("Gini validators, per stake", _metric("gini_validators_per_stake")),
        ("reward paid out", _metric("paid_frac", pct)),
    ]
    return _rows_table(data["noise"], columns)


def _focus_metric(g: str) -> tuple[str, str]:
    """Validators: reward per stake relative to the honest validators';
    trainers: advantage (their quality is not the honest trainers')."""
    if g.startswith("validator."):
        return f"{g}.relative", f"{g.split('.', 1)[1]} rel. return"
    return f"{g}.advantage", f"{g.split('.', 1)[1]} adv."


def sweep_table(data: dict, name: str) -> str:
    rows_in = data["sweep"].get(name, [])
    if not rows_in:
        return "(no sweep)"
    focus = rows_in[0]["focus"]
    validators = name == "validator_mix"
    rows = []
    for row in rows_in:
        m, p = row["metrics"], row["params"]
        cells = [f"{p['gamma']:g}", f"{p['q']:g}", f"{p['tolerance_bps']}"]
        cells += [fmt(m.get(_focus_metric(g)[0])) for g in focus]
        if row.get("baseline"):
            cells += [fmt(m.get(f"{g}.gain")) for g in focus]
        if validators:
            cells += [fmt(m.get("trust_honest")), pct(m.get("train_frac"))]
        else:
            cells += [
                fmt(m.get("rho_reward")),
                fmt(m.get("rho_reward_per_stake")),
                pct(m.get("top1"), ci=False),
                fmt(m.get("gini_trainers")),
            ]
        rows.append(cells)
    header = ["γ", "q", "tol bps"] + [_focus_metric(g)[1] for g in focus]
    if rows_in[0].get("baseline"):
        header += [f"{g.split('.', 1)[1]} gain vs {rows_in[0]['baseline']}" for g in focus]
    if validators:
        header += ["honest trust", "trainers' share"]
    else:
        header += ["ρ reward", "ρ reward/stake", "best first", "Gini honest trainers"]
    return _table(header, rows)


def split_table(data: dict) -> str:
    rows_in = data.get("split") or []
    if not rows_in:
        return "(no split runs)"
    gammas = sorted({r["params"]["gamma"] for r in rows_in})
    fractions = sorted({r["trainer_fraction"] for r in rows_in})
    cell = {(r["trainer_fraction"], r["params"]["gamma"]): r["metrics"] for r in rows_in}
    rows = []
    for f in fractions:
        cells = [f"{f:.0%}"]
        for g in gammas:
            m = cell.get((f, g), {})
            ratio = fmt(m.get("pool_return_ratio"), ci=False)
            cells.append(f"{pct(m.get('train_frac'), ci=False)} ({ratio})")
        rows.append(cells)
    return _table(["trainers' share of stake"] + [f"γ = {g:g}" for g in gammas], rows)


def markdown(data: dict) -> str:
    meta = data["meta"]
    parts = [
        f"<!-- {meta['generator']}: seed {meta['seed']}, runs {meta['runs']}, "
        f"{meta['wall_s']}s, contracts {meta['contracts_sha256'][:12]} -->",
        "### Scenarios",
        scenario_table(data),
        "### Adversaries",
        adversary_table(data),
        "### Noise",
        noise_table(data),
        "### Counterfactual: outlier rule (validators)",
        outlier_table(data),
        "### Counterfactual: tied ranks (trainers)",
        tied_rank_table(data),
    ]
    for name in data["sweep"]:
        parts += [f"### Sweep: {name}", sweep_table(data, name)]
    parts += [
        "### Split: trainers' share of the reward (trainer : validator return per token)",
        split_table(data),
    ]
    return "\n\n".join(parts) + "\n"

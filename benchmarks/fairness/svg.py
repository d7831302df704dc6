"""The SVG charts of the fairness results, drawn from the results JSON alone.

Three chart kinds (lines with error bars, horizontal bars with confidence
intervals, heat-map small multiples) and the seven charts docs/fairness.md
shows, built on the plugin's chart writer (`ape_arena.report.charts`): no
plotting library.
"""

from __future__ import annotations

from pathlib import Path

from ape_arena.files import write_bytes_atomically
from ape_arena.report.charts import (
    BLUE,
    GREEN,
    GREY,
    GRID,
    INK,
    ORANGE,
    PURPLE,
    SKY,
    VERMILLION,
    Plot,
    Series,
    Svg,
    heading,
    legend,
    wrap,
)

VIRIDIS = ["#440154", "#3b528b", "#21918c", "#5ec962", "#fde725"]
NOTE = "#666666"  # what a heat-map row says under its label
REFERENCE = {"stroke_width": 1.5, "stroke_dasharray": "6 4", "stroke": GREY}


def _m(metrics: dict, key: str) -> tuple[float | None, float]:
    s = metrics.get(key) or {}
    return s.get("mean"), s.get("ci95") or 0.0


# --- line chart ------------------------------------------------------------------


def line_chart(
    title: str,
    subtitle: str,
    series: list[dict],
    x_ticks: list[tuple[float, str]],
    x_range: tuple[float, float],
    y_range: tuple[float, float],
    x_label: str,
    y_label: str,
    y_fmt=lambda v: f"{v:g}",
    refs: list[tuple] = (),
    width: int = 760,
    height: int = 430,
) -> str:
    """series: {label, color, points: [(x, mean, ci)], dash}; refs:
    ("diag", label), ("h", y, label), ("v", x, label)."""
    svg = Svg(width, height, title)
    left, right, top, bottom = 64, 230, 58, 56
    box = (left, top, width - left - right, height - top - bottom)
    plot = Plot(svg, box, x_range, y_range, clamp_y=True)
    px, py = plot.x, plot.y
    (x0, x1), (y0, y1) = x_range, y_range
    heading(svg, left, 24, title, subtitle)
    n_y = 5
    y_ticks = [(v, y_fmt(v)) for v in (y0 + (y1 - y0) * k / n_y for k in range(n_y + 1))]
    plot.y_ticks(y_ticks, grid={"stroke": GRID, "stroke_width": 1.0}, label={"size": 11})
    plot.x_ticks(x_ticks, gap=19, mark={"stroke": INK, "stroke_width": 1.0}, label={"size": 11})
    plot.axes(stroke=INK, stroke_width=1.0)
    plot.x_title(x_label, height - 14, size=12)
    plot.y_title(y_label, 18, size=12)
    for ref in refs:
        if ref[0] == "diag":
            lo, hi = max(x0, y0), min(x1, y1)
            svg.line(px(lo), py(lo), px(hi), py(hi), **REFERENCE)
            mid = lo + (hi - lo) * 0.7
            svg.text(px(mid) - 8, py(mid) - 6, ref[1], 11, "end", GREY)
        elif ref[0] == "h":
            svg.line(plot.left, py(ref[1]), plot.right, py(ref[1]), **REFERENCE)
            svg.text(plot.right - 4, py(ref[1]) - 5, ref[2], 11, "end", GREY)
        elif ref[0] == "v":
            svg.line(px(ref[1]), plot.top, px(ref[1]), plot.bottom, **REFERENCE)
            svg.text(px(ref[1]) + 4, plot.bottom - 8, ref[2], 11, "start", GREY)
    lines = []
    for s in series:
        known = [(x, m, c) for x, m, c in s["points"] if m is not None]
        line = Series(
            s["label"],
            s["color"],
            [(x, m) for x, m, _ in known],
            s.get("dash"),
            [c for _, _, c in known],
        )
        plot.series(line, width=2.2, marker=3.6)
        lines.append(line)
    legend(svg, plot.right + 18, top + 6, lines, width=2.5, marker=3.6, wrap_at=26, size=11)
    svg.text(plot.right + 18, height - 14, "bars: 95% CI of the mean", 10, fill="#777777")
    return svg.render()


# --- horizontal bars ------------------------------------------------------------------


def bar_chart(
    title: str,
    subtitle: str,
    items: list[tuple[str, float, float, str]],
    x_max: float,
    x_label: str,
    ref: float | None = 1.0,
    ref_label: str = "paid in proportion to stake",
    width: int = 760,
) -> str:
    """items: (label, mean, ci, color); bars past x_max are cut and labelled."""
    row = 22
    left, right, top, bottom = 300, 60, 76, 50
    height = top + bottom + row * len(items)
    svg = Svg(width, height, title)
    plot = Plot(
        svg, (left, top, width - left - right, row * len(items)), (0.0, x_max), clamp_x=True
    )
    px = plot.x
    heading(svg, 16, 24, title, subtitle)
    steps = 6
    x_ticks = [(v, f"{v:g}") for v in (x_max * k / steps for k in range(steps + 1))]
    grid = {"stroke": GRID, "stroke_width": 1.0}
    plot.x_ticks(x_ticks, grid=grid, extend=4, label={"size": 11})
    plot.x_title(x_label, height - 12, size=12)
    for i, (label, mean, ci, color) in enumerate(items):
        y = top + i * row
        svg.text(left - 8, y + 15, label, 11, "end")
        if mean is None:
            svg.text(left + 4, y + 15, "n/a", 11, fill="#777777")
            continue
        plot.hbar(mean, y + 4, row - 8, fill=color)
        if ci:
            svg.line(
                px(mean - ci), y + row / 2, px(mean + ci), y + row / 2, stroke=INK, stroke_width=1.2
            )
        if mean > x_max:
            svg.text(plot.right + 4, y + 15, f"{mean:.1f} →", 11, "start", weight="bold")
        else:
            svg.text(px(mean + ci) + 5, y + 15, f"{mean:.2f}", 10, "start", "#444444")
    if ref is not None:
        svg.line(
            px(ref),
            top - 8,
            px(ref),
            plot.bottom,
            stroke=VERMILLION,
            stroke_width=1.5,
            stroke_dasharray="5 3",
        )
        svg.text(px(ref) + 4, top - 10, ref_label, 11, "start", VERMILLION)
    return svg.render()


# --- heat-map small multiples --------------------------------------------------------------


def _color(t: float) -> str:
    t = min(max(t, 0.0), 1.0) * (len(VIRIDIS) - 1)
    i = min(int(t), len(VIRIDIS) - 2)
    f = t - i
    a, b = VIRIDIS[i], VIRIDIS[i + 1]
    rgb = [round(int(a[k : k + 2], 16) * (1 - f) + int(b[k : k + 2], 16) * f) for k in (1, 3, 5)]
    return "#" + "".join(f"{c:02x}" for c in rgb)


def heatmaps(title: str, subtitle: str, rows: list[dict], sweep: dict, grid: dict) -> str:
    """rows: {label, scenario, key, fmt, note}; one panel per gamma, cells q x tolerance."""
    gammas, qs, tols = grid["gamma"], grid["q"], grid["tolerance_bps"]
    cw, ch = 56, 30
    pw, ph = cw * len(tols), ch * len(qs)
    left, top, gap_x, row_h = 250, 78, 48, ph + 62
    width = max(left + len(gammas) * (pw + gap_x) + 20, 640)
    height = top + row_h * len(rows) + 10
    svg = Svg(width, height, title)
    heading(svg, 16, 24, title, subtitle)
    for gi, g in enumerate(gammas):
        x = left + gi * (pw + gap_x) + pw / 2
        svg.text(x, top - 16, f"γ = {g:g}", 13, "middle", weight="bold")
    for ri, r in enumerate(rows):
        lookup = {
            (c["params"]["gamma"], c["params"]["q"], c["params"]["tolerance_bps"]): c["metrics"]
            for c in sweep.get(r["scenario"], [])
        }
        y0 = top + ri * row_h
        values = [
            _m(lookup.get((g, q, t), {}), r["key"])[0] for g in gammas for q in qs for t in tols
        ]
        values = [v for v in values if v is not None]
        lo, hi = (min(values), max(values)) if values else (0.0, 1.0)
        span = max(hi - lo, 1e-9)
        label = wrap(r["label"], 26)
        for k, part in enumerate(label):
            svg.text(16, y0 + 14 + 15 * k, part, 12, weight="bold")
        for k, part in enumerate(wrap(r.get("note", ""), 34)):
            svg.text(16, y0 + 16 + 15 * len(label) + 13 * k, part, 10, fill=NOTE)
        svg.text(16, y0 + ph + 20, f"colour: {r['fmt'](lo)} … {r['fmt'](hi)}", 10, fill=NOTE)
        for gi, g in enumerate(gammas):
            x0 = left + gi * (pw + gap_x)
            for qi, q in enumerate(qs):
                svg.text(x0 - 5, y0 + qi * ch + ch / 2 + 4, f"q {q:g}", 10, "end")
                for ti, t in enumerate(tols):
                    v = _m(lookup.get((g, q, t), {}), r["key"])[0]
                    x, y = x0 + ti * cw, y0 + qi * ch
                    if v is None:
                        svg.rect(x, y, cw - 2, ch - 2, fill="#eeeeee")
                        continue
                    frac = (v - lo) / span
                    svg.rect(x, y, cw - 2, ch - 2, fill=_color(frac))
                    ink = "white" if frac < 0.55 else INK
                    svg.text(x + cw / 2 - 1, y + ch / 2 + 4, r["fmt"](v), 11, "middle", ink)
            for ti, t in enumerate(tols):
                svg.text(x0 + ti * cw + cw / 2 - 1, y0 + ph + 13, f"{t}", 10, "middle")
            svg.text(x0 + pw / 2, y0 + ph + 27, "tolerance, bps", 10, "middle", "#555555")
    return svg.render()


# --- the charts of docs/fairness.md ------------------------------------------------------


def _by_name(data: dict) -> dict[str, dict]:
    return {s["name"]: s["metrics"] for s in data["scenarios"]}


def coalition_chart(data: dict) -> str:
    sc = _by_name(data)
    control = sc.get("coalition_control", {})
    series = []
    val, tr = "validator.coalition", "trainer.promoted"
    styles = [
        ("blatant", val, BLUE, None, "coalition's share of the validator reward (blatant)"),
        ("subtle", val, SKY, "6 3", "coalition's share of the validator reward (subtle)"),
        (
            "blatant",
            tr,
            VERMILLION,
            None,
            "promoted (worst) model's share of the trainer reward (blatant)",
        ),
        ("subtle", tr, ORANGE, "6 3", "promoted model's share of the trainer reward (subtle)"),
    ]
    for strategy, group, color, dash, label in styles:
        pts = []
        if group == "trainer.promoted":
            m, c = _m(control, "trainer.promoted.reward_share")
            pts.append((0.0, m, c))
        else:
            pts.append((0.0, 0.0, 0.0))
        for pct in (10, 30, 45, 55):
            m = sc.get(f"coalition_{strategy}_{pct}")
            if m is None:
                continue
            x = _m(m, "validator.coalition.stake_share")[0]
            pts.append((x, *_m(m, f"{group}.reward_share")))
        series.append({"label": label, "color": color, "dash": dash, "points": pts})
    return line_chart(
        "A validator coalition promoting the worst model",
        "Reward shares against the coalition's share of validator stake (0 = no coalition)",
        series,
        [(x / 100, f"{x}%") for x in (0, 10, 20, 30, 40, 50, 60)],
        (0.0, 0.6),
        (0.0, 1.0),
        "coalition's share of the validator stake",
        "share of the role's reward",
        y_fmt=lambda v: f"{v:.0%}",
        refs=[("diag", "reward share = stake share"), ("v", 0.5, "half the stake")],
    )


def noise_chart(data: dict) -> str:
    rows = data["noise"]
    if not rows:
        return ""
    pos = {r["noise_bps"]: i for i, r in enumerate(rows)}
    keys = [
        ("rho_rank", "Spearman ρ, true quality vs on-chain rank", BLUE, None),
        ("top1", "best model ranked first", GREEN, "6 3"),
        ("trust_honest", "mean trust of the (honest) validators", ORANGE, None),
        ("gini_validators_per_stake", "Gini of validators' reward per stake", PURPLE, "2 3"),
    ]
    series = [
        {
            "label": label,
            "color": color,
            "dash": dash,
            "points": [(pos[r["noise_bps"]], *_m(r["metrics"], k)) for r in rows],
        }
        for k, label, color, dash in keys
    ]
    refs = []
    tol = data["meta"]["defaults"]["tolerance_bps"]
    if float(tol) in pos:
        refs.append(("v", pos[float(tol)], f"tolerance ({tol} bps)"))
    return line_chart(
        "Honest validators with noisy evaluation",
        "All 7 validators honest; relative noise σ per score; tolerance 50 bps",
        series,
        [(i, f"{r['noise_bps']:g}") for i, r in enumerate(rows)],
        (-0.3, len(rows) - 0.7),
        (0.0, 1.0),
        "validators' noise σ, bps of the loss",
        "value",
        y_fmt=lambda v: f"{v:.1f}",
        refs=refs,
    )


def adversary_chart(data: dict) -> str:
    items = []
    colors = {"validator": BLUE, "trainer": ORANGE}
    for s in data["scenarios"]:
        for g in s["focus"]:
            role = g.split(".", 1)[0]
            partial_sybil = s["name"].startswith("sybil") and not s["name"].endswith(("k1", "k8"))
            if role not in colors or partial_sybil:
                continue
            mean, ci = _m(s["metrics"], f"{g}.advantage")
            group = g.split(".", 1)[1]
            label = s["name"] if s["name"].startswith(group) else f"{s['name']} · {group}"
            items.append((label, mean, ci, colors[role]))
    return bar_chart(
        "Reward share over stake share, per group",
        "Blue: validators (share of the validator reward); orange: trainers (of the trainer's)",
        items,
        3.0,
        "advantage = reward share / stake share (1 = in proportion to stake)",
    )


def sybil_chart(data: dict) -> str:
    sc = _by_name(data)
    ks = [1, 2, 4, 8]
    series = []
    for where, key, color, dash, label in (
        ("best", "trainer.sybil.gain", VERMILLION, None, "best model split over k addresses"),
        ("mid", "trainer.sybil.gain", BLUE, None, "5th-best model split over k addresses"),
        (
            "best",
            "cf.trainer.sybil.gain",
            GREY,
            "6 3",
            "best model, if tied submissions shared a rank (off-chain counterfactual)",
        ),
    ):
        pts = [
            (i, *_m(sc[f"sybil_{where}_k{k}"], key))
            for i, k in enumerate(ks)
            if f"sybil_{where}_k{k}" in sc
        ]
        series.append({"label": label, "color": color, "dash": dash, "points": pts})
    return line_chart(
        "A trainer splitting one stake over k addresses",
        f"k models of the same quality, {data['meta']['world']['sybil_stake_tokens']} tokens "
        "in all; paired with k = 1 on the same tasks; q = 0.85",
        series,
        [(i, str(k)) for i, k in enumerate(ks)],
        (-0.3, len(ks) - 0.7),
        (0.6, 1.6),
        "addresses k",
        "sybil's trainer-reward share / its share at k = 1",
        y_fmt=lambda v: f"{v:.1f}",
        refs=[("h", 1.0, "no gain")],
    )


def _f2(v):
    return f"{v:.2f}"


def _row(scenario: str, label: str, key: str, note: str) -> dict:
    return {"scenario": scenario, "label": label, "key": key, "fmt": _f2, "note": note}


SWEEP_CHARTS = {
    "fairness-sweep-validators.svg": (
        "Sweep: validators (4 honest, 1 noisy at 25 bps, 1 lazy, 1 stale copier)",
        [
            _row(
                "validator_mix",
                "noisy honest validator (25 bps, 15% of stake)",
                "validator.noisy.relative",
                "reward per token staked over the precise honest validators'",
            ),
            _row(
                "validator_mix", "lazy validator (random scores)", "validator.lazy.relative", "same"
            ),
            _row(
                "validator_mix",
                "stale copier (previous task's mean)",
                "validator.stale_mean.relative",
                "same",
            ),
            _row(
                "validator_mix",
                "mean trust of the precise honest validators",
                "trust_honest",
                "noise 5 bps",
            ),
        ],
    ),
    "fairness-sweep-trainers.svg": (
        "Sweep: trainers (a sybil, a near-copy plagiarist, ten honest trainers)",
        [
            _row(
                "sybil_best",
                "best model split over 4 addresses",
                "trainer.sybil.gain",
                "reward share over the same trainer on one address",
            ),
            _row(
                "copy_best",
                "near-copy of the best model",
                "trainer.plagiarist.advantage",
                "same; the copy earns as much as its rank gives",
            ),
            _row(
                "copy_best",
                "Spearman ρ(quality, reward)",
                "rho_reward",
                "original models; stakes random",
            ),
            _row(
                "copy_best",
                "Gini of honest trainers' rewards",
                "gini_trainers",
                "0 = equal; q sets the steepness",
            ),
        ],
    ),
}


def sweep_chart(data: dict, name: str) -> str:
    title, rows = SWEEP_CHARTS[name]
    cells = [c for r in rows for c in data["sweep"].get(r["scenario"], [])]
    if not cells:
        return ""
    return heatmaps(
        title,
        f"Mean over {cells[0]['runs']} runs per cell (same tasks in every cell); rows q, "
        "columns tolerance; one panel per γ",
        rows,
        data["sweep"],
        data["meta"]["grid"],
    )


def split_chart(data: dict) -> str:
    rows = data.get("split") or []
    if not rows:
        return ""
    gammas = sorted({r["params"]["gamma"] for r in rows})
    colors = [GREY, SKY, BLUE, ORANGE, VERMILLION]
    series = []
    for g, color in zip(gammas, colors, strict=False):
        pts = sorted(
            (r["trainer_fraction"], *_m(r["metrics"], "train_frac"))
            for r in rows
            if r["params"]["gamma"] == g
        )
        label = f"γ = {g:g}" + (" (pro rata)" if g == 0 else "")
        series.append({"label": label, "color": color, "dash": None, "points": pts})
    return line_chart(
        "How γ splits the reward between trainers and validators",
        "All honest; trainers' share of the reward against their share of the stake",
        series,
        [(x / 10, f"{x * 10}%") for x in range(0, 11, 2)],
        (0.0, 1.0),
        (0.0, 1.0),
        "trainers' share of the total stake, T / (T + S)",
        "trainers' share of the reward",
        y_fmt=lambda v: f"{v:.0%}",
        refs=[("diag", "pro rata (γ = 0)")],
    )


def write_charts(data: dict, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    charts = {
        "fairness-coalition.svg": coalition_chart(data),
        "fairness-noise.svg": noise_chart(data),
        "fairness-adversaries.svg": adversary_chart(data),
        "fairness-sybil.svg": sybil_chart(data),
        "fairness-sweep-validators.svg": sweep_chart(data, "fairness-sweep-validators.svg"),
        "fairness-sweep-trainers.svg": sweep_chart(data, "fairness-sweep-trainers.svg"),
        "fairness-split.svg": split_chart(data),
    }
    written = []
    for name, text in charts.items():
        if not text:
            continue
        path = folder / name
        write_bytes_atomically(path, text.encode())
        written.append(path)
    return written

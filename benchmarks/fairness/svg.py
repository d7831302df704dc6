"""Hand-written, self-contained SVG charts of the fairness results.

No plotting library: a few primitives (`Svg`), three chart kinds (lines
with error bars, horizontal bars, heat-map small multiples) and the five
charts docs/fairness.md shows, drawn from the results JSON alone.
"""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
BLUE, ORANGE, GREEN, PINK, YELLOW, SKY, RED = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#F0E442",
    "#56B4E9",
    "#D55E00",
)
GREY, INK = "#999999", "#222222"
VIRIDIS = ["#440154", "#3b528b", "#21918c", "#5ec962", "#fde725"]


class Svg:
    def __init__(self, width: int, height: int):
        self.width, self.height = width, height
        self.items: list[str] = []

    def add(self, item: str) -> None:
        self.items.append(item)

    def rect(self, x, y, w, h, fill, stroke="none", opacity=1.0):
        self.add(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{max(h, 0):.1f}" '
            f'fill="{fill}" stroke="{stroke}" fill-opacity="{opacity}"/>'
        )

    def line(self, x1, y1, x2, y2, stroke=INK, width=1.0, dash=None):
        d = f' stroke-dasharray="{dash}"' if dash else ""
        self.add(
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
            f'stroke="{stroke}" stroke-width="{width}"{d}/>'
        )

    def polyline(self, points, stroke, width=2.0, dash=None):
        if len(points) < 2:
            return
        d = f' stroke-dasharray="{dash}"' if dash else ""
        pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        self.add(
            f'<polyline points="{pts}" fill="none" stroke="{stroke}" stroke-width="{width}"{d}/>'
        )

    def circle(self, x, y, r, fill):
        self.add(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r}" fill="{fill}"/>')

    def text(self, x, y, s, size=12, anchor="start", fill=INK, weight="normal", rotate=None):
        t = f' transform="rotate({rotate} {x:.1f} {y:.1f})"' if rotate is not None else ""
        self.add(
            f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
            f'fill="{fill}" font-weight="{weight}"{t}>{escape(str(s))}</text>'
        )

    def render(self) -> str:
        head = (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.width}" height="{self.height}" '
            f'viewBox="0 0 {self.width} {self.height}" font-family="Helvetica, Arial, sans-serif">'
        )
        bg = f'<rect width="{self.width}" height="{self.height}" fill="white"/>'
        return "\n".join([head, bg, *self.items, "</svg>"]) + "\n"


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
    svg = Svg(width, height)
    left, right, top, bottom = 64, 230, 58, 56
    pw, ph = width - left - right, height - top - bottom
    x0, x1 = x_range
    y0, y1 = y_range

    def px(x):
        return left + (x - x0) / (x1 - x0) * pw

    def py(y):
        return top + ph - (min(max(y, y0), y1) - y0) / (y1 - y0) * ph

    svg.text(left, 24, title, 16, weight="bold")
    svg.text(left, 42, subtitle, 12, fill="#555555")
    # Grid and axes.
    n_y = 5
    for k in range(n_y + 1):
        v = y0 + (y1 - y0) * k / n_y
        svg.line(left, py(v), left + pw, py(v), "#e6e6e6")
        svg.text(left - 8, py(v) + 4, y_fmt(v), 11, "end")
    for x, label in x_ticks:
        svg.line(px(x), top + ph, px(x), top + ph + 5, INK)
        svg.text(px(x), top + ph + 19, label, 11, "middle")
    svg.line(left, top + ph, left + pw, top + ph, INK)
    svg.line(left, top, left, top + ph, INK)
    svg.text(left + pw / 2, height - 14, x_label, 12, "middle")
    svg.text(18, top + ph / 2, y_label, 12, "middle", rotate=-90)
    for ref in refs:
        if ref[0] == "diag":
            lo, hi = max(x0, y0), min(x1, y1)
            svg.line(px(lo), py(lo), px(hi), py(hi), GREY, 1.5, "6 4")
            mid = lo + (hi - lo) * 0.7
            svg.text(px(mid) - 8, py(mid) - 6, ref[1], 11, "end", GREY)
        elif ref[0] == "h":
            svg.line(left, py(ref[1]), left + pw, py(ref[1]), GREY, 1.5, "6 4")
            svg.text(left + pw - 4, py(ref[1]) - 5, ref[2], 11, "end", GREY)
        elif ref[0] == "v":
            svg.line(px(ref[1]), top, px(ref[1]), top + ph, GREY, 1.5, "6 4")
            svg.text(px(ref[1]) + 4, top + ph - 8, ref[2], 11, "start", GREY)
    # Series.
    for s in series:
        pts = [(x, m, c) for x, m, c in s["points"] if m is not None]
        svg.polyline([(px(x), py(m)) for x, m, _ in pts], s["color"], 2.2, s.get("dash"))
        for x, m, c in pts:
            if c:
                svg.line(px(x), py(m - c), px(x), py(m + c), s["color"], 1.4)
                svg.line(px(x) - 4, py(m - c), px(x) + 4, py(m - c), s["color"], 1.4)
                svg.line(px(x) - 4, py(m + c), px(x) + 4, py(m + c), s["color"], 1.4)
            svg.circle(px(x), py(m), 3.6, s["color"])
    # Legend.
    lx, ly = left + pw + 18, top + 6
    for s in series:
        svg.line(lx, ly, lx + 22, ly, s["color"], 2.5, s.get("dash"))
        svg.circle(lx + 11, ly, 3.6, s["color"])
        for k, part in enumerate(_wrap(s["label"], 26)):
            svg.text(lx + 30, ly + 4 + 14 * k, part, 11)
        ly += 14 * len(_wrap(s["label"], 26)) + 12
    svg.text(lx, height - 14, "bars: 95% CI of the mean", 10, fill="#777777")
    return svg.render()


def _wrap(text: str, width: int) -> list[str]:
    words, lines, cur = text.split(), [], ""
    for w in words:
        if cur and len(cur) + 1 + len(w) > width:
            lines.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}".strip()
    return [*lines, cur] if cur else lines


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
    svg = Svg(width, height)
    pw = width - left - right

    def px(x):
        return left + min(max(x, 0.0), x_max) / x_max * pw

    svg.text(16, 24, title, 16, weight="bold")
    svg.text(16, 42, subtitle, 12, fill="#555555")
    steps = 6
    for k in range(steps + 1):
        v = x_max * k / steps
        svg.line(px(v), top - 4, px(v), top + row * len(items), "#e6e6e6")
        svg.text(px(v), top + row * len(items) + 16, f"{v:g}", 11, "middle")
    svg.text(left + pw / 2, height - 12, x_label, 12, "middle")
    for i, (label, mean, ci, color) in enumerate(items):
        y = top + i * row
        svg.text(left - 8, y + 15, label, 11, "end")
        if mean is None:
            svg.text(left + 4, y + 15, "n/a", 11, fill="#777777")
            continue
        svg.rect(left, y + 4, px(mean) - left, row - 8, color)
        if ci:
            svg.line(px(mean - ci), y + row / 2, px(mean + ci), y + row / 2, INK, 1.2)
        if mean > x_max:
            svg.text(left + pw + 4, y + 15, f"{mean:.1f} →", 11, "start", weight="bold")
        else:
            svg.text(px(mean + ci) + 5, y + 15, f"{mean:.2f}", 10, "start", "#444444")
    if ref is not None:
        svg.line(px(ref), top - 8, px(ref), top + row * len(items), RED, 1.5, "5 3")
        svg.text(px(ref) + 4, top - 10, ref_label, 11, "start", RED)
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
    svg = Svg(width, height)
    svg.text(16, 24, title, 16, weight="bold")
    svg.text(16, 42, subtitle, 12, fill="#555555")
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
        label = _wrap(r["label"], 26)
        for k, part in enumerate(label):
            svg.text(16, y0 + 14 + 15 * k, part, 12, weight="bold")
        for k, part in enumerate(_wrap(r.get("note", ""), 34)):
            svg.text(16, y0 + 16 + 15 * len(label) + 13 * k, part, 10, fill="#666666")
        svg.text(16, y0 + ph + 20, f"colour: {r['fmt'](lo)} … {r['fmt'](hi)}", 10, fill="#666666")
        for gi, g in enumerate(gammas):
            x0 = left + gi * (pw + gap_x)
            for qi, q in enumerate(qs):
                svg.text(x0 - 5, y0 + qi * ch + ch / 2 + 4, f"q {q:g}", 10, "end")
                for ti, t in enumerate(tols):
                    v = _m(lookup.get((g, q, t), {}), r["key"])[0]
                    x, y = x0 + ti * cw, y0 + qi * ch
                    if v is None:
                        svg.rect(x, y, cw - 2, ch - 2, "#eeeeee")
                        continue
                    frac = (v - lo) / span
                    svg.rect(x, y, cw - 2, ch - 2, _color(frac))
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
            RED,
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
        ("gini_validators_per_stake", "Gini of validators' reward per stake", PINK, "2 3"),
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
        ("best", "trainer.sybil.gain", RED, None, "best model split over k addresses"),
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
    colors = [GREY, SKY, BLUE, ORANGE, RED]
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
        tmp = path.with_name(f".{name}.tmp")
        tmp.write_text(text)
        tmp.replace(path)
        written.append(path)
    return written

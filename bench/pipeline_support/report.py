"""The Markdown tables bench/pipeline prints: per variant median (min–max) of every measure, then the ratios of
medians against the issue's goals."""
import os
import statistics

MODES = {
    "copy": "copy, loopback",
    "throttled": "copy, S3 through a 50 MB/s, 20 ms link",
    "s2": "S2: one KVS clip to an M0 request",
    "transcode": "transcode 1280x720 15 fps, loopback",
}
VARIANTS = {
    "ours": "clipline",
    "files": "clipline, chunk files",
    "observed": "clipline, traces + metrics on",
    "baseline": "clipline, the baseline checkout",
    "python": "the Python way",
    "floor-get": "floor: `blob-get` of the source",
    "floor-put": "floor: `blob-put` of the chunks to both buckets",
}
MEASURES = [("wall", "wall s", 1.0), ("cpu", "client CPU s", 1.0), ("services", "services' CPU s", 1.0),
            ("rss", "peak RSS MB", 1e-6), ("pss", "peak PSS MB", 1e-6), ("first", "first message s", 1.0)]


def median(samples, measure):
    values = [s[measure] for s in samples if s.get(measure) is not None]
    return statistics.median(values) if values else None


def cell(samples, measure, scale):
    values = [s[measure] * scale for s in samples if s.get(measure) is not None]
    if not values:
        return "—"
    digits = 0 if measure in ("rss", "pss") else 2
    middle = f"{statistics.median(values):.{digits}f}"
    if len(values) == 1:
        return middle
    return f"{middle} ({min(values):.{digits}f}–{max(values):.{digits}f})"


def ratio(numerator, denominator):
    if numerator is None or not denominator:
        return "—"
    return f"{numerator / denominator:.2f}×"


def results_table(results, labels):
    """results: {(mode, variant): [Sample…]} in the order to print; labels: {variant: text} overrides."""
    lines = ["| mode | variant | " + " | ".join(title for _, title, _ in MEASURES) + " |",
             "|---|---|" + "---:|" * len(MEASURES)]
    for (mode, variant), samples in results.items():
        name = labels.get((mode, variant)) or VARIANTS[variant]
        lines.append(f"| {MODES[mode]} | {name} | "
                     + " | ".join(cell(samples, measure, scale) for measure, _, scale in MEASURES) + " |")
    return "\n".join(lines)


def ratios_table(results):
    cores = os.cpu_count()
    lines = ["| mode | wall: Python ÷ clipline | client CPU: Python ÷ clipline | wall: clipline ÷ floor's longest leg"
             f" | clipline's CPU bound: (client + services' CPU) ÷ {cores} cores | clipline's peak PSS MB"
             " | goal (issues 13, 27) |",
             "|---|---:|---:|---:|---:|---:|---|"]
    goals = {"copy": "wall ≥ 1.8×, CPU ≥ 4×, ≤ 1.15× the floor, first message ≤ 1.5 s, PSS ≤ 150 MB",
             "transcode": "wall ≥ 1.0×, CPU ≥ 1.0×, PSS ≤ 150 MB",
             "throttled": "wall ≥ 3×",
             "s2": "wall ≥ 1.5×, CPU ≥ 2×"}
    for mode in MODES:
        ours, python = results.get((mode, "ours")), results.get((mode, "python"))
        if not ours:
            continue
        legs = [median(results[(mode, leg)], "wall") for leg in ("floor-get", "floor-put") if (mode, leg) in results]
        floor = max(legs) if legs else None
        # No schedule of this work on these cores ends sooner; a wall near it means the machine was kept busy.
        busy = median(ours, "services")
        bound = (median(ours, "cpu") + busy) / cores if busy is not None else None
        bound_cell = f"{bound:.2f} s (wall {ratio(median(ours, 'wall'), bound)})" if bound else "—"
        lines.append(f"| {MODES[mode]} | {ratio(median(python or [], 'wall'), median(ours, 'wall'))} | "
                     f"{ratio(median(python or [], 'cpu'), median(ours, 'cpu'))} | "
                     f"{ratio(median(ours, 'wall'), floor)} | {bound_cell} | {cell(ours, 'pss', 1e-6)} | {goals[mode]} |")
    return "\n".join(lines)


def pair_cells(results, mode, numerator, denominator):
    """The ratio of medians and each interleaved pair's ratio (their median (min–max)) of wall and client CPU: the
    spread says whether N pairs can show a difference of a few per cent at all."""
    above, below = results.get((mode, numerator)), results.get((mode, denominator))
    if not above or not below:
        return None
    cells = [str(min(len(above), len(below)))]
    for measure in ("wall", "cpu"):
        pairs = [a[measure] / b[measure] for a, b in zip(above, below) if b.get(measure)]
        cells += [ratio(median(above, measure), median(below, measure)),
                  f"{statistics.median(pairs):.3f}× ({min(pairs):.3f}–{max(pairs):.3f})" if pairs else "—"]
    return cells


def pairs_header(above, below, extra):
    return (f"| mode | pairs | wall: {above} ÷ {below} (medians) | wall: pair ratios, median (min–max)"
            f" | client CPU: {above} ÷ {below} (medians) | client CPU: pair ratios, median (min–max) | {extra} |")


def telemetry_table(results):
    """What tracing and metrics cost: the `observed` runs against the plain ones they were interleaved with (issue 25:
    at most 1.02×)."""
    lines = [pairs_header("on", "off", "scrapes, OTLP posts per run | goal"), "|---|---:|---:|---:|---:|---:|---:|---|"]
    for mode in MODES:
        cells = pair_cells(results, mode, "observed", "ours")
        if cells:
            on = results[(mode, "observed")]
            proof = f"{median(on, 'scrapes') or 0:.0f}, {median(on, 'span_posts') or 0:.0f}"
            lines.append(f"| {MODES[mode]} | " + " | ".join(cells) + f" | {proof} | ≤ 1.02× |")
    return "\n".join(lines)


def baseline_table(results):
    """Today's worker against the baseline checkout's, run in interleaved pairs (issue 21: unchanged within noise)."""
    lines = [pairs_header("now", "before", "goal"), "|---|---:|---:|---:|---:|---:|---|"]
    for mode in MODES:
        cells = pair_cells(results, mode, "ours", "baseline")
        if cells:
            lines.append(f"| {MODES[mode]} | " + " | ".join(cells) + " | ≈ 1.00× |")
    return "\n".join(lines)


def memory_table(passes):
    """Peak PSS (and RSS) of each variant per source and chunk length, and the largest over the smallest of each: the
    issue 27 goal is clipline's PSS at most 150 MB in every pass and the same (≈ 1.0×) for any chunk length."""
    lines = ["| mode | variant | " + " | ".join(f"{name}: PSS (RSS) MB" for name, _ in passes)
             + " | PSS: largest ÷ smallest | goal |", "|---|---|" + "---:|" * (len(passes) + 1) + "---|"]
    keys = []
    for _, results in passes:
        keys += [key for key in results if key not in keys]
    for mode, variant in keys:
        medians = [(median(results.get((mode, variant), []), "pss"), median(results.get((mode, variant), []), "rss"))
                   for _, results in passes]
        cells = [f"{pss / 1e6:.0f} ({rss / 1e6:.0f})" if pss else "—" for pss, rss in medians]
        known = [pss for pss, _ in medians if pss]
        spread = ratio(max(known), min(known)) if len(known) > 1 else "—"
        goal = "≤ 150 MB in each, ≈ 1.0×" if variant == "ours" and mode in ("copy", "transcode") else ""
        lines.append(f"| {MODES[mode]} | {VARIANTS[variant]} | " + " | ".join(cells) + f" | {spread} | {goal} |")
    return "\n".join(lines)

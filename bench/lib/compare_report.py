"""The report of bench/compare: two servers' bench/run figures side by side.

  * server_figures(): one server's medians over its runs, plus the derived figures
    (egress packets per Mbit, RSS growth per session)
  * side_by_side(): the Markdown table, one row per figure, with the ratio other/Sluice
  * runs_table(): every run of both servers in the order they ran (spread, load average)

Standard library only; the medians come from sluice_bench.median_doc, as in bench/run.
"""

from __future__ import annotations

import statistics

import sluice_bench as sb

# (label, key(s), digits): one row of the side-by-side table; keys joined with " / "
ROWS = [
    ("sessions (connected)", ("sessions", "sessions_connected"), 0),
    ("egress Mbit/s", ("egress_mbps",), 1),
    ("egress pkt/s", ("egress_pps",), 0),
    ("egress pkt/s per Mbit/s", ("pps_per_mbps",), 2),
    ("mean packet bytes (SRTP, as received)", ("bytes_per_packet",), 1),
    ("server CPU % of one core (load)", ("server_cpu_pct",), 1),
    ("server CPU % (ingest only, before viewers)", ("server_cpu_pct_ingest",), 1),
    ("server CPU µs per packet", ("cpu_us_per_packet",), 2),
    ("× limit (sluice-limit)", ("limit_ratio",), 1),
    ("RSS MB start", ("server_rss_mb_start",), 1),
    ("RSS MB peak before viewers", ("server_rss_mb_ingest_peak",), 1),
    ("RSS MB peak", ("server_rss_mb_peak",), 1),
    ("RSS MB end", ("server_rss_mb_end",), 1),
    ("RSS KB per session (peak − start)", ("server_rss_kb_per_session",), 1),
    ("threads (max)", ("server_threads_max",), 0),
    ("viewer loss %", ("viewer_loss_pct",), 3),
    ("NACKs sent / retransmissions", ("nacks_sent", "retransmissions"), 0),
    ("TTFF ms p50", ("ttff_ms_p50",), 0),
    ("TTFF ms p95", ("ttff_ms_p95",), 0),
    ("latency ms p50", ("latency_ms_p50",), 2),
    ("latency ms p99", ("latency_ms_p99",), 2),
    ("load client CPU %", ("load_cpu_pct",), 1),
    ("camera simulator CPU %", ("camsim_cpu_pct",), 1),
]


def derived(doc: dict) -> dict:
    """Figures computed from one run's document (or from medians)."""
    mbps, pps = sb._num(doc.get("egress_mbps")), sb._num(doc.get("egress_pps"))
    byts, pkts = sb._num(doc.get("bytes")), sb._num(doc.get("packets"))
    return {"pps_per_mbps": pps / mbps if mbps and pps is not None else None,
            "bytes_per_packet": byts / pkts if byts is not None and pkts else None}


def server_figures(runs: list[dict]) -> dict:
    """Medians over one server's runs of every bench/run figure and of the derived ones
    (each derived figure is computed per run, then its median taken)."""
    med = sb.median_doc(runs)
    per = [derived(r) for r in runs]
    for k in per[0] if per else ():
        vals = [sb._num(p[k]) for p in per if sb._num(p[k]) is not None]
        med[k] = statistics.median(vals) if vals else None
    return med


def _cell(doc: dict, keys: tuple, digits: int) -> str:
    return " / ".join(sb._fmt(sb._num(doc.get(k)), digits) for k in keys)


def _ratio(a: dict, b: dict, keys: tuple) -> str:
    """b/a for a one-key row; '–' when either is missing or a is zero."""
    if len(keys) != 1:
        return ""
    x, y = sb._num(a.get(keys[0])), sb._num(b.get(keys[0]))
    if x is None or y is None or x == 0:
        return "–"
    return f"{y / x:.2f}×"


def side_by_side(sluice: dict, other: dict, sluice_label: str, other_label: str) -> str:
    lines = [f"| figure | {sluice_label} | {other_label} | {other_label} / {sluice_label} |",
             "|---|---|---|---|"]
    for label, keys, digits in ROWS:
        lines.append(f"| {label} | {_cell(sluice, keys, digits)} | {_cell(other, keys, digits)} "
                     f"| {_ratio(sluice, other, keys)} |")
    return "\n".join(lines) + "\n"


def runs_table(order: list[tuple[str, int, dict]]) -> str:
    """order: (server label, repetition, run document) in the order the runs ran."""
    lines = ["| # | server | rep | load avg 1 min | sessions conn. | Mbit/s | pkt/s | CPU % | µs/pkt "
             "| RSS MB peak | TTFF ms p50/p95 | loss % |",
             "|" + "---|" * 12]
    for i, (label, rep, d) in enumerate(order, 1):
        lines.append(
            f"| {i} | {label} | {rep} | {sb._fmt(sb._num(d.get('loadavg_1m')), 2)} "
            f"| {sb._fmt(sb._num(d.get('sessions_connected')), 0)} | {sb._fmt(sb._num(d.get('egress_mbps')))} "
            f"| {sb._fmt(sb._num(d.get('egress_pps')), 0)} | {sb._fmt(sb._num(d.get('server_cpu_pct')))} "
            f"| {sb._fmt(sb._num(d.get('cpu_us_per_packet')), 2)} | {sb._fmt(sb._num(d.get('server_rss_mb_peak')))} "
            f"| {sb._fmt(sb._num(d.get('ttff_ms_p50')), 0)}/{sb._fmt(sb._num(d.get('ttff_ms_p95')), 0)} "
            f"| {sb._fmt(sb._num(d.get('viewer_loss_pct')), 3)} |")
    return "\n".join(lines) + "\n"

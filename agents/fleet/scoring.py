"""Score classified episodes and alerts against the simulator's ground truth.

Matching: a ground-truth episode is matched to the detected episode of the same vehicle that
overlaps it most (intervals widened by ``slack_s``); its predicted class is that episode's
label in its highest revision, or ``missed``. Detected episodes overlapping no ground truth are
judged against the truth *normal* (nothing was injected: the vehicle did its job).
Macro-F1 averages the F1 of the three classes over all of these. False unauthorized alerts are
raised ``unauthorized_use`` alerts starting outside every unauthorized ground-truth episode.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["FleetScore", "latest_episodes", "score_fleet"]

CLASSES = ("normal", "traffic_detour", "unauthorized")
MONTH_DAYS = 30.0


@dataclass
class FleetScore:
    """The fleet figures of a run."""

    episodes: int
    classified_correctly: int
    macro_f1: float
    false_unauthorized: int
    vehicle_days: float
    per_class: dict[str, dict[str, float]] = field(default_factory=dict)
    confusion: dict[str, dict[str, int]] = field(default_factory=dict)
    missed: int = 0
    unmatched_detections: int = 0
    recall_by_subtype: dict[str, float] = field(default_factory=dict)

    @property
    def false_unauthorized_per_vehicle_month(self) -> float:
        """False unauthorized alerts per 30 vehicle-days."""
        return self.false_unauthorized / max(self.vehicle_days / MONTH_DAYS, 1e-9)

    def to_dict(self) -> dict[str, Any]:
        """The make-run summary keys (exactly those of the issue)."""
        return {
            "episodes": self.episodes,
            "classified_correctly": self.classified_correctly,
            "macro_f1": round(self.macro_f1, 4),
            "false_unauthorized": self.false_unauthorized,
            "vehicle_days": round(self.vehicle_days, 1),
        }

    def details(self) -> dict[str, Any]:
        """Everything, for the evaluation report."""
        return {
            **self.to_dict(),
            "false_unauthorized_per_vehicle_month": round(
                self.false_unauthorized_per_vehicle_month, 3
            ),
            "missed": self.missed,
            "unmatched_detections": self.unmatched_detections,
            "per_class": self.per_class,
            "confusion": self.confusion,
            "recall_by_subtype": self.recall_by_subtype,
        }


def latest_episodes(records: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The highest revision of every episode id."""
    best: dict[str, Mapping[str, Any]] = {}
    for rec in records:
        eid = str(rec["episode_id"])
        if eid not in best or int(rec["revision"]) >= int(best[eid]["revision"]):
            best[eid] = rec
    return list(best.values())


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return min(a1, b1) - max(a0, b0)


def score_fleet(
    ground_truth: Iterable[Mapping[str, Any]],
    episodes: Iterable[Mapping[str, Any]],
    alerts: Iterable[Mapping[str, Any]],
    *,
    vehicle_days: float,
    slack_s: float = 600.0,
) -> FleetScore:
    """Score ``episodes`` (FleetEpisode dicts) and ``alerts`` against ``ground_truth``."""
    truth = [
        (
            str(g["asset_id"]),
            float(g["detail"]["start_ts"]),
            float(g["detail"]["end_ts"]),
            str(g["detail"]["label"]),
            str(g["detail"].get("subtype", "")),
        )
        for g in ground_truth
        if g.get("domain") == "fleet" and g.get("kind") == "fleet_episode"
    ]
    detected: dict[str, list[tuple[float, float, str, str]]] = {}
    for rec in latest_episodes(episodes):
        end = rec.get("end_ts")
        start = float(rec["start_ts"])
        detected.setdefault(str(rec["vehicle_id"]), []).append(
            (
                start,
                float(end) if end is not None else start,
                str(rec["label"]),
                str(rec["episode_id"]),
            )
        )
    pairs: list[tuple[str, str]] = []
    used: set[str] = set()
    subtype_hits: Counter[str] = Counter()
    subtype_all: Counter[str] = Counter()
    for vid, t0, t1, label, subtype in truth:
        best, pred = 0.0, "missed"
        for d0, d1, dlabel, eid in detected.get(vid, []):
            ov = _overlap(t0 - slack_s, t1 + slack_s, d0, d1 + 1.0)
            if ov > 0:
                used.add(eid)
                if ov > best:
                    best, pred = ov, dlabel
        pairs.append((label, pred))
        subtype_all[subtype] += 1
        subtype_hits[subtype] += pred == label
    unmatched = [d for items in detected.values() for d in items if d[3] not in used]
    pairs.extend(("normal", d[2]) for d in unmatched)
    confusion: dict[str, dict[str, int]] = {c: {} for c in CLASSES}
    for true, pred in pairs:
        row = confusion[true]
        row[pred] = row.get(pred, 0) + 1
    per_class = {}
    f1s = []
    for c in CLASSES:
        tp = sum(1 for t, p in pairs if t == c and p == c)
        n_pred = sum(1 for _, p in pairs if p == c)
        n_true = sum(1 for t, _ in pairs if t == c)
        precision = tp / n_pred if n_pred else 0.0
        recall = tp / n_true if n_true else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[c] = {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "support": n_true,
        }
        f1s.append(f1)
    unauthorized_spans: dict[str, list[tuple[float, float]]] = {}
    for vid, t0, t1, label, _ in truth:
        if label == "unauthorized":
            unauthorized_spans.setdefault(vid, []).append((t0 - slack_s, t1 + slack_s))
    false_unauthorized = 0
    for alert in alerts:
        if alert.get("domain") != "fleet" or alert.get("alert_type") != "unauthorized_use":
            continue
        if alert.get("state") != "raised":
            continue
        ts = float(alert["first_ts"])
        spans = unauthorized_spans.get(str(alert["asset_id"]), [])
        if not any(a <= ts <= b for a, b in spans):
            false_unauthorized += 1
    return FleetScore(
        episodes=len(pairs),
        classified_correctly=sum(1 for t, p in pairs if t == p),
        macro_f1=sum(f1s) / len(f1s),
        false_unauthorized=false_unauthorized,
        vehicle_days=vehicle_days,
        per_class=per_class,
        confusion=confusion,
        missed=sum(1 for _, p in pairs if p == "missed"),
        unmatched_detections=len(unmatched),
        recall_by_subtype={
            k: round(subtype_hits[k] / n, 3) for k, n in sorted(subtype_all.items())
        },
    )

"""Score safety alerts against the simulator's ground truth: recall, precision, delays.

Matching, per kind (event times):

* ``fatigue``: a ``worker_fatigue`` raise of the same worker between the fatigue onset and the
  end of the episode (shift end) detects it;
* ``man_down``: a ``man_down`` raise of the same worker between the fall and the moment the
  worker moves again (plus ``grace_s``);
* ``stationary_cluster``: a raise for the same zone between the condition (K workers
  stationary T seconds) minus ``grace_s`` and the end of the episode plus ``grace_s``.

A raise that matches no episode of its kind is a false alert. A raise detects at most one
episode (the earliest still undetected one whose window holds it), so one alert spanning two
episodes counts once; a raise whose episodes were all detected already is a ``duplicate`` (a
true alert, listed apart). Precision counts raises; recall counts episodes. ``latencies_s``
(real seconds from the reading that completed a condition to the alert on Kafka) are supplied
by the live run and summarised, never judged here.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from agents.safety.config import FATIGUE, MAN_DOWN, STATIONARY_CLUSTER

__all__ = ["KIND_OF_ALERT", "KindScore", "SafetyScore", "score_safety"]

KIND_OF_ALERT: Mapping[str, str] = {
    FATIGUE: "fatigue",
    MAN_DOWN: "man_down",
    STATIONARY_CLUSTER: "stationary_cluster",
}
"""Alert type -> ground-truth kind it detects."""


@dataclass(slots=True)
class KindScore:
    """Counts of one kind: episodes, detected episodes, raises, matched and duplicate raises
    (matched, but of an episode detected before), event-time delays of the detections."""

    episodes: int = 0
    detected: int = 0
    raised: int = 0
    matched: int = 0
    duplicates: int = 0
    delays_s: list[float] = field(default_factory=list)

    @property
    def recall(self) -> float | None:
        """Detected share of the episodes (None without episodes)."""
        return self.detected / self.episodes if self.episodes else None

    @property
    def precision(self) -> float | None:
        """Share of raises that matched an episode (None without raises)."""
        return self.matched / self.raised if self.raised else None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able figures."""

        def rounded(value: float | None) -> float | None:
            """``value`` to 3 decimals (None stays None)."""
            return None if value is None else round(value, 3)

        return {
            "episodes": self.episodes,
            "detected": self.detected,
            "raised": self.raised,
            "false": self.raised - self.matched,
            "duplicates": self.duplicates,
            "recall": rounded(self.recall),
            "precision": rounded(self.precision),
            "median_delay_s": rounded(statistics.median(self.delays_s)) if self.delays_s else None,
        }


@dataclass(slots=True)
class SafetyScore:
    """Scores of the three kinds plus the measured real-time latencies."""

    kinds: dict[str, KindScore]
    latencies_s: list[float] = field(default_factory=list)

    @property
    def false_alerts(self) -> int:
        """Raises of any kind that matched no episode."""
        return sum(k.raised - k.matched for k in self.kinds.values())

    def summary(self) -> dict[str, Any]:
        """The ``safety`` part of the ``make run`` summary (the keys of the issue)."""
        k = self.kinds
        latency = statistics.median(self.latencies_s) if self.latencies_s else None
        return {
            "fatigue_episodes": k["fatigue"].episodes,
            "fatigue_detected": k["fatigue"].detected,
            "man_down": k["man_down"].episodes,
            "man_down_detected": k["man_down"].detected,
            "clusters": k["stationary_cluster"].episodes,
            "clusters_detected": k["stationary_cluster"].detected,
            "false_alerts": self.false_alerts,
            "median_alert_latency_s": None if latency is None else round(latency, 3),
        }

    def details(self) -> dict[str, Any]:
        """Per-kind figures and the latency distribution."""
        out: dict[str, Any] = {name: s.to_dict() for name, s in self.kinds.items()}
        if self.latencies_s:
            out["latency_s"] = {
                "n": len(self.latencies_s),
                "median": round(statistics.median(self.latencies_s), 3),
                "max": round(max(self.latencies_s), 3),
            }
        return out


def _window(kind: str, episode: Mapping[str, Any], grace_s: float) -> tuple[float, float]:
    detail = episode.get("detail", {})
    end = float(detail.get("end_ts", episode["ts"]))
    if kind == "stationary_cluster":
        return float(detail.get("condition_ts", episode["ts"])) - grace_s, end + grace_s
    if kind == "man_down":
        return float(episode["ts"]), end + grace_s
    return float(episode["ts"]), end


def score_safety(
    truth: Iterable[Mapping[str, Any]],
    alerts: Iterable[Mapping[str, Any]],
    *,
    grace_s: float = 30.0,
    latencies_s: Iterable[float] = (),
) -> SafetyScore:
    """Score ``alerts`` (alert-topic records, any state) against ``truth`` (ground-truth records
    of the safety domain); see the module docstring for the matching rules."""
    kinds = {name: KindScore() for name in KIND_OF_ALERT.values()}
    episodes: dict[str, list[tuple[str, float, float, float, list[bool]]]] = {
        name: [] for name in kinds
    }
    for record in truth:
        kind = str(record.get("kind"))
        if record.get("domain") != "safety" or kind not in kinds:
            continue
        start, end = _window(kind, record, grace_s)
        condition = float(record.get("detail", {}).get("condition_ts", record["ts"]))
        episodes[kind].append((str(record["asset_id"]), start, end, condition, [False]))
        kinds[kind].episodes += 1
    for alert in alerts:
        alert_kind = KIND_OF_ALERT.get(str(alert.get("alert_type")))
        if alert.get("domain") != "safety" or alert_kind is None or alert.get("state") != "raised":
            continue
        kind = alert_kind
        score = kinds[kind]
        score.raised += 1
        first = float(alert["first_ts"])
        subject = str(alert["asset_id"])
        hits = [e for e in episodes[kind] if e[0] == subject and e[1] <= first <= e[2]]
        fresh = [e for e in hits if not e[4][0]]
        if fresh:
            _, _, _, condition, seen = min(fresh, key=lambda e: e[1])
            seen[0] = True
            score.detected += 1
            score.delays_s.append(float(alert["ts"]) - condition)
        elif hits:
            score.duplicates += 1
        score.matched += bool(hits)
    return SafetyScore(kinds, [float(x) for x in latencies_s])

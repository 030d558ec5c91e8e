"""Dispatcher verdicts (delayed labels) matched to a vehicle's episodes to teach the classifier.

A verdict names the episode it judges (by id, or by its time span when answered from elsewhere)
and teaches the shared classifier once that episode is *final*. Verdicts and fixes travel on
different topics, so a verdict may arrive before the engine has decided its episode (closed it,
and for a provisional one heard the area context or waited out the hold): it then waits in the
vehicle's state (:class:`~agents.fleet.vehicle_state.PendingVerdict`, at most
:data:`MAX_PENDING_VERDICTS`), is retried whenever an episode becomes final, and is given up
once the vehicle's fixes are :data:`VERDICT_WAIT_S` past the judged episode.
"""

from __future__ import annotations

from agents.fleet.classifier import EpisodeClassifier
from agents.fleet.episode import EpisodeRecord
from agents.fleet.kinds import Label, Status
from agents.fleet.stats import FleetStats
from agents.fleet.vehicle_state import PendingVerdict, VehicleState
from schemas.vehicle import DispatcherVerdict

__all__ = ["MAX_PENDING_VERDICTS", "VERDICT_WAIT_S", "VerdictLearner"]

MAX_PENDING_VERDICTS = 4
VERDICT_WAIT_S = 86400.0


class VerdictLearner:
    """Matches verdicts to episodes and teaches the classifier (see the module docstring)."""

    def __init__(self, classifier: EpisodeClassifier, stats: FleetStats) -> None:
        self.classifier = classifier
        self.stats = stats

    def receive(self, state: VehicleState, verdict: DispatcherVerdict) -> None:
        """Teach with ``verdict`` now if its episode is final, else keep it waiting."""
        self.stats.verdicts += 1
        pending = PendingVerdict(
            verdict.episode_id,
            verdict.episode_start_ts,
            verdict.episode_end_ts,
            Label(verdict.label),
        )
        if self._teach(state, pending):
            return
        if state.last_ts is not None and state.last_ts > pending.end_ts + VERDICT_WAIT_S:
            self.stats.verdicts_unmatched += 1
            return
        state.pending_verdicts.append(pending)
        if len(state.pending_verdicts) > MAX_PENDING_VERDICTS:
            del state.pending_verdicts[0]
            self.stats.verdicts_unmatched += 1

    def decided(self, state: VehicleState, label: Label) -> None:
        """An episode of the vehicle became final as ``label`` (or was relabelled once final).

        Counts it, and teaches with the verdicts that were waiting for it.
        """
        self.stats.count_episode(label)
        self.retry(state)

    def retry(self, state: VehicleState) -> None:
        """Match waiting verdicts against the episodes decided since; give up stale ones."""
        if not state.pending_verdicts:
            return
        keep = []
        for pending in state.pending_verdicts:
            if self._teach(state, pending):
                continue
            if state.last_ts is not None and state.last_ts > pending.end_ts + VERDICT_WAIT_S:
                self.stats.verdicts_unmatched += 1
                continue
            keep.append(pending)
        state.pending_verdicts = keep

    def expire(self, state: VehicleState, ts: float) -> None:
        """Retry (and so give up) waiting verdicts once the fix at ``ts`` is past the wait."""
        waiting = state.pending_verdicts
        if waiting and ts > min(v.end_ts for v in waiting) + VERDICT_WAIT_S:
            self.retry(state)

    def _teach(self, state: VehicleState, pending: PendingVerdict) -> bool:
        """Learn from ``pending`` if it matches a final episode; True once it is used up."""
        record = _judged_episode(state.recent, pending)
        if record is None or record.status != Status.FINAL:
            return False  # not closed yet, or still waiting for area context
        if record.verdict is not None:
            return True  # already judged: a duplicate verdict teaches nothing
        label = pending.label
        record.verdict = label
        if record.label == label:
            self.stats.verdicts_agreed += 1
        if self.classifier.learn(record.features, label):
            self.stats.count_learned(label)
        return True


def _judged_episode(recent: list[EpisodeRecord], pending: PendingVerdict) -> EpisodeRecord | None:
    """The episode a verdict judges: by id, else the one overlapping its time span most."""
    eid = pending.episode_id
    record = next((r for r in recent if eid is not None and r.episode_id == eid), None)
    if record is None:
        best = 0.0
        for r in recent:
            overlap = min(r.end_ts, pending.end_ts) - max(r.start_ts, pending.start_ts)
            if overlap > best:
                best, record = overlap, r
    return record

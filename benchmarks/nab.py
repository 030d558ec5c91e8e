"""The Numenta Anomaly Benchmark: loader of the stored subset and the project's own scorer.

The scorer follows the rules of Lavin & Ahmad (2015) as written in the data's README:

- the first ``min(floor(0.15 n), 750)`` rows of a file are probationary and never scored;
- a row is a detection when its score is at or above the threshold;
- inside a window of ``width`` rows ending at row ``right``, row ``i`` sits at
  ``y = -(right - i + 1) / width`` and is worth ``tp * S(y) / S(-1)`` with the scaled sigmoid
  ``S(y) = 2 / (1 + exp(5 y)) - 1``; a window counts once, with its best (earliest) detection,
  and costs ``-fn`` when it has none;
- a detection outside every window costs ``fp * S(y)`` (a negative number), with ``y`` its
  distance in rows past the end of the previous window divided by that window's width - 1, or
  ``S = -1`` when no window came before it (``S`` is -1 for ``y >= 3``);
- one threshold for the whole corpus, the one that maximises the corpus's total raw score;
- normalised score ``100 (raw - null) / (perfect - null)`` with ``null = -fn * windows`` and
  ``perfect = tp * windows``.

Only windows with at least one scored (post-probation) row take part, as in NAB, where the
null and perfect detectors are run through the same scorer.
"""

from __future__ import annotations

import bisect
import json
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

__all__ = [
    "PROFILES",
    "PUBLISHED",
    "CorpusScore",
    "NabFile",
    "Profile",
    "ScoredRows",
    "data_root",
    "iter_values",
    "load_corpus",
    "normalised_score",
    "probationary_length",
    "scaled_sigmoid",
    "score_at",
    "score_corpus",
    "score_rows",
]


@dataclass(frozen=True, slots=True)
class Profile:
    """Weights of one NAB application profile."""

    name: str
    tp: float
    fp: float
    fn: float


PROFILES: dict[str, Profile] = {
    "standard": Profile("standard", 1.0, 0.11, 1.0),
    "reward_low_FP_rate": Profile("reward_low_FP_rate", 1.0, 0.22, 1.0),
    "reward_low_FN_rate": Profile("reward_low_FN_rate", 1.0, 0.11, 2.0),
}

#: Published scores on exactly this 35-file subset (standard, low FP, low FN), from the README.
PUBLISHED: dict[str, tuple[float, float, float]] = {
    "ARTime": (67.8, 57.8, 73.7),
    "Numenta HTM": (66.6, 60.8, 71.1),
    "CAD OSE": (62.2, 57.1, 66.3),
    "KNN CAD": (53.0, 40.1, 59.6),
    "Relative Entropy": (50.0, 41.6, 54.6),
    "Random Cut Forest (AWS)": (49.5, 38.2, 56.0),
    "Twitter ADVec": (36.2, 22.8, 42.9),
    "Windowed Gaussian": (22.0, 4.9, 29.8),
}


def data_root(project_root: Path) -> Path:
    """Return where the NAB subset lives: ``../shared/benchmarks/nab`` from the project root."""
    return project_root.parent / "shared" / "benchmarks" / "nab"


@dataclass(frozen=True, slots=True)
class NabFile:
    """One labelled series: its name, row timestamps, values and windows as row indices.

    ``windows`` holds inclusive ``(left, right)`` row index pairs in time order.
    """

    name: str
    path: Path
    timestamps: tuple[str, ...]
    values: tuple[float, ...]
    windows: tuple[tuple[int, int], ...]


def _parse_time(text: str) -> datetime:
    """Parse a NAB timestamp (``2014-04-10 07:15:00[.000000]``) as UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def iter_values(path: Path) -> Iterator[tuple[str, float]]:
    """Yield ``(timestamp, value)`` for each row of a NAB ``timestamp,value`` file."""
    with path.open(newline="") as handle:
        next(handle)
        for line in handle:
            ts, _, value = line.rstrip("\r\n").partition(",")
            yield ts, float(value)


def _window_rows(
    times: Sequence[datetime], limits: Iterable[Sequence[str]]
) -> tuple[tuple[int, int], ...]:
    """Map ``[start, end]`` timestamp windows to inclusive row index ranges."""
    rows = []
    for start, end in limits:
        left = bisect.bisect_left(times, _parse_time(start))
        right = bisect.bisect_right(times, _parse_time(end)) - 1
        if right >= left:
            rows.append((left, right))
    return tuple(sorted(rows))


def load_corpus(root: Path) -> list[NabFile]:
    """Load every file listed in ``root/windows.json`` with its windows, sorted by name."""
    labels: dict[str, list[list[str]]] = json.loads((root / "windows.json").read_text())
    files = []
    for name in sorted(labels):
        path = root / "data" / name
        rows = list(iter_values(path))
        stamps = tuple(ts for ts, _ in rows)
        times = [_parse_time(ts) for ts in stamps]
        files.append(
            NabFile(
                name=name,
                path=path,
                timestamps=stamps,
                values=tuple(v for _, v in rows),
                windows=_window_rows(times, labels[name]),
            )
        )
    return files


def probationary_length(n_rows: int) -> int:
    """Rows at the start of a file that are not scored: ``min(floor(0.15 n), 750)``."""
    return min(math.floor(0.15 * n_rows), 750)


def scaled_sigmoid(y: float) -> float:
    """NAB's ``S(y) = 2 / (1 + e^(5y)) - 1``, and -1 from ``y >= 3`` on."""
    if y >= 3.0:
        return -1.0
    return 2.0 / (1.0 + math.exp(5.0 * y)) - 1.0


@dataclass(frozen=True, slots=True)
class ScoredRows:
    """The scored rows of one file under one profile.

    ``weights[k]`` is what a detection at row ``rows[k]`` is worth; ``window[k]`` is the index of
    the file's window holding that row, or -1 outside every window. ``n_windows`` counts the
    windows with at least one scored row.
    """

    rows: tuple[int, ...]
    weights: tuple[float, ...]
    window: tuple[int, ...]
    n_windows: int


def score_rows(n_rows: int, windows: Sequence[tuple[int, int]], profile: Profile) -> ScoredRows:
    """Return the worth of a detection at each scored row of a file (see the module rules)."""
    max_tp = scaled_sigmoid(-1.0)
    start = probationary_length(n_rows)
    rows, weights, owner = [], [], []
    k = 0  # next window not yet passed
    prev: tuple[int, int] | None = None
    seen: set[int] = set()
    for i in range(start, n_rows):
        while k < len(windows) and windows[k][1] < i:
            prev = windows[k]
            k += 1
        if k < len(windows) and windows[k][0] <= i:
            left, right = windows[k]
            width = right - left + 1
            weight = profile.tp * scaled_sigmoid(-(right - i + 1) / width) / max_tp
            owner.append(k)
            seen.add(k)
        else:
            if prev is None:
                s = -1.0
            else:
                width = prev[1] - prev[0] + 1
                s = scaled_sigmoid((i - prev[1]) / (width - 1)) if width > 1 else -1.0
            weight = profile.fp * s
            owner.append(-1)
        rows.append(i)
        weights.append(weight)
    return ScoredRows(tuple(rows), tuple(weights), tuple(owner), len(seen))


@dataclass(frozen=True, slots=True)
class CorpusScore:
    """The result of one profile over a corpus at its best threshold."""

    profile: str
    threshold: float
    raw: float
    score: float
    n_windows: int
    detected_windows: int
    false_positives: int


def normalised_score(raw: float, n_windows: int, profile: Profile) -> float:
    """``100 (raw - null) / (perfect - null)``, null missing and perfect hitting every window."""
    null = -profile.fn * n_windows
    perfect = profile.tp * n_windows
    return 100.0 * (raw - null) / (perfect - null)


def score_corpus(
    corpus: Sequence[tuple[Sequence[float], Sequence[tuple[int, int]]]], profile: Profile
) -> CorpusScore:
    """Score ``(scores, windows)`` per file at the corpus-wide threshold maximising the total.

    Every distinct score is a candidate threshold (plus one above them all, the null
    detector); rows are swept from the highest score down, as in NAB's optimiser, so the cost
    is one sort of all scored rows.
    """
    entries: list[tuple[float, float, int]] = []  # (score, weight, global window id or -1)
    n_windows = 0
    window_base = 0
    for scores, windows in corpus:
        scored = score_rows(len(scores), windows, profile)
        for row, weight, win in zip(scored.rows, scored.weights, scored.window, strict=True):
            entries.append((float(scores[row]), weight, window_base + win if win >= 0 else -1))
        n_windows += scored.n_windows
        window_base += len(windows)
    entries.sort(key=lambda e: -e[0])

    best_in_window: dict[int, float] = {}
    fp_sum = 0.0
    fp_count = 0
    window_sum = 0.0  # sum over detected windows of (best weight + fn)
    null = -profile.fn * n_windows
    best = (null, math.inf, 0, 0)  # (raw, threshold, detected, fps)
    i = 0
    while i < len(entries):
        threshold = entries[i][0]
        while i < len(entries) and entries[i][0] == threshold:
            _, weight, win = entries[i]
            if win < 0:
                fp_sum += weight
                fp_count += 1
            else:
                old = best_in_window.get(win)
                if old is None:
                    best_in_window[win] = weight
                    window_sum += weight + profile.fn
                elif weight > old:
                    best_in_window[win] = weight
                    window_sum += weight - old
            i += 1
        raw = null + window_sum + fp_sum
        if raw > best[0]:
            best = (raw, threshold, len(best_in_window), fp_count)
    raw, threshold, detected, fps = best
    return CorpusScore(
        profile=profile.name,
        threshold=threshold,
        raw=raw,
        score=normalised_score(raw, n_windows, profile),
        n_windows=n_windows,
        detected_windows=detected,
        false_positives=fps,
    )


def score_at(
    corpus: Sequence[tuple[Sequence[float], Sequence[tuple[int, int]]]],
    profile: Profile,
    threshold: float,
) -> CorpusScore:
    """Score ``(scores, windows)`` per file at a given ``threshold`` (chosen elsewhere).

    Used for held-out folds: the threshold is the one :func:`score_corpus` chose on other
    files. The normalised score is NaN for a corpus without windows (nothing to normalise by);
    its ``raw`` is then the cost of its false positives.
    """
    raw = 0.0
    n_windows = detected = fps = 0
    for scores, windows in corpus:
        scored = score_rows(len(scores), windows, profile)
        best: dict[int, float] = {}
        for row, weight, win in zip(scored.rows, scored.weights, scored.window, strict=True):
            if scores[row] < threshold:
                continue
            if win < 0:
                raw += weight
                fps += 1
            elif win not in best or weight > best[win]:
                best[win] = weight
        raw += sum(best.values()) - profile.fn * (scored.n_windows - len(best))
        n_windows += scored.n_windows
        detected += len(best)
    score = normalised_score(raw, n_windows, profile) if n_windows else math.nan
    return CorpusScore(profile.name, threshold, raw, score, n_windows, detected, fps)

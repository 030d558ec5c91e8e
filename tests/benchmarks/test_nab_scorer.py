"""The NAB scorer against hand-computed cases of the README's rules."""

import math

import pytest

from benchmarks.nab import (
    PROFILES,
    normalised_score,
    probationary_length,
    scaled_sigmoid,
    score_corpus,
    score_rows,
)

STD = PROFILES["standard"]
LOW_FP = PROFILES["reward_low_FP_rate"]
LOW_FN = PROFILES["reward_low_FN_rate"]
S_LEFT = 2.0 / (1.0 + math.exp(-5.0)) - 1.0  # S(-1) = 0.986614...


def _scores(n, hits):
    """A score series of n rows, 1.0 at the rows in ``hits`` and 0 elsewhere."""
    return [1.0 if i in hits else 0.0 for i in range(n)]


def test_scaled_sigmoid_matches_the_published_values():
    assert scaled_sigmoid(-1.0) == pytest.approx(0.98661, abs=1e-5)
    assert scaled_sigmoid(-0.5) == pytest.approx(0.84828, abs=1e-5)
    assert scaled_sigmoid(0.0) == 0.0
    assert scaled_sigmoid(1.0) == pytest.approx(-0.98661, abs=1e-5)
    assert scaled_sigmoid(3.0) == -1.0
    assert scaled_sigmoid(10.0) == -1.0


def test_probationary_length_is_15_percent_capped_at_750():
    assert probationary_length(20) == 3
    assert probationary_length(4032) == 604
    assert probationary_length(5000) == 750
    assert probationary_length(22695) == 750


def test_detection_at_the_left_edge_of_a_window_is_worth_the_full_tp_weight():
    result = score_corpus([(_scores(20, {10}), [(10, 14)])], STD)
    assert result.raw == pytest.approx(1.0)
    assert result.score == pytest.approx(100.0)
    assert result.detected_windows == 1


def test_later_detection_in_a_window_is_worth_the_scaled_sigmoid_of_its_position():
    # Row 12 of window [10, 14] (width 5): y = -(14 - 12 + 1) / 5 = -0.6.
    expected = (2.0 / (1.0 + math.exp(-3.0)) - 1.0) / S_LEFT  # 0.917433...
    result = score_corpus([(_scores(20, {12}), [(10, 14)])], STD)
    assert result.raw == pytest.approx(expected)
    assert result.score == pytest.approx(100.0 * (expected + 1.0) / 2.0)


def test_only_the_earliest_detection_of_a_window_counts():
    once = score_corpus([(_scores(20, {10}), [(10, 14)])], STD)
    thrice = score_corpus([(_scores(20, {10, 11, 13}), [(10, 14)])], STD)
    assert thrice.raw == pytest.approx(once.raw)


def test_missed_window_costs_the_fn_weight_and_null_scores_zero():
    hit = (_scores(20, {10}), [(10, 14)])
    # Detecting this window at threshold 0 would cost ~70 full-weight false positives.
    missed = (_scores(200, set()), [(100, 104)])
    result = score_corpus([hit, missed], LOW_FN)
    assert result.threshold == 1.0
    assert result.raw == pytest.approx(1.0 - 2.0)
    assert result.detected_windows == 1
    assert normalised_score(-2.0 * 2, 2, LOW_FN) == pytest.approx(0.0)


def test_false_positive_before_any_window_costs_the_full_fp_weight():
    rows = score_rows(20, [(10, 14)], STD)
    before = dict(zip(rows.rows, rows.weights, strict=True))
    assert before[5] == pytest.approx(-0.11)
    assert before[3] == pytest.approx(-0.11)
    result = score_corpus([(_scores(20, {5, 10}), [(10, 14)])], LOW_FP)
    assert result.raw == pytest.approx(1.0 - 0.22)


def test_false_positive_after_a_window_is_weighted_by_its_distance_past_the_end():
    # Row 16, window [10, 14] of width 5: y = (16 - 14) / (5 - 1) = 0.5, S = -0.848283.
    rows = score_rows(30, [(10, 14)], STD)
    weight = dict(zip(rows.rows, rows.weights, strict=True))
    assert weight[16] == pytest.approx(0.11 * (2.0 / (1.0 + math.exp(2.5)) - 1.0))
    assert weight[15] > weight[16] > weight[20]
    assert weight[26] == pytest.approx(-0.11)  # y = 3: the full cost


def test_probationary_rows_are_never_scored():
    rows = score_rows(20, [(10, 14)], STD)
    assert rows.rows[0] == 3
    result = score_corpus([(_scores(20, {0, 1, 2, 10}), [(10, 14)])], STD)
    assert result.raw == pytest.approx(1.0)
    assert result.false_positives == 0


def test_threshold_is_chosen_for_the_whole_corpus_to_maximise_the_total():
    # One window detected only at score 0.5; k false positives at 0.9 before it.
    def corpus(k):
        scores = [0.0] * 40
        scores[30] = 0.5
        for i in range(10, 10 + k):
            scores[i] = 0.9
        return [(scores, [(30, 34)])]

    # 10 FPs: -1 + 2 - 1.1 = -0.1 beats null (-1) -> threshold 0.5.
    few = score_corpus(corpus(10), STD)
    assert few.threshold == 0.5
    assert few.raw == pytest.approx(-0.1)
    # 20 FPs: -1 + 2 - 2.2 = -1.2 is worse than null -> no detection at all.
    many = score_corpus(corpus(20), STD)
    assert many.raw == pytest.approx(-1.0)
    assert many.detected_windows == 0


def test_scores_add_up_over_files_and_normalise_against_null_and_perfect():
    a = (_scores(20, {10}), [(10, 14)])
    b = (_scores(20, set()), [(10, 14)])
    result = score_corpus([a, b], STD)
    assert result.n_windows == 2
    assert result.raw == pytest.approx(0.0)
    assert result.score == pytest.approx(50.0)
    assert normalised_score(2.0, 2, STD) == pytest.approx(100.0)

#!/usr/bin/python3
"""Checks the reference's greedy and beam search against DESIGN.md's decoding rules.

A scripted model returns fixed log-probabilities for each decoded prefix, so
every rule can be worked out by hand: EOS finishing within the first N with
length including EOS, stopping when N hypotheses have finished, live
hypotheses finishing at max-length, score / length^A with the earliest
finished winning ties, ties ranked by (hypothesis index, token id), EOS masked
below the minimum length, and greedy taking the lowest id on ties.
"""
import os
import sys
import unittest
from types import SimpleNamespace

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference_search import beam_search, greedy  # noqa: E402

VOCAB, START, EOS = 6, 2, 3
SPEC = SimpleNamespace(target_vocab=VOCAB, decoder_start=START, eos=EOS)


def logits(values):
    """token -> logit; every other token gets -inf (never chosen)."""
    return [values.get(token, float("-inf")) for token in range(VOCAB)]


class ScriptedModel:
    """Logits for a hypothesis are looked up by its prefix (start token included)."""

    def __init__(self, table=None, uniform=False, seed=None):
        self.table, self.uniform, self.seed = table or {}, uniform, seed

    def start_decoding(self, memory):
        return SimpleNamespace(prefixes=[()], select=None)

    def _row(self, prefix):
        if self.seed is not None:
            rng = np.random.default_rng([self.seed, *prefix])
            return (rng.standard_normal(VOCAB) * 3).tolist()
        if self.uniform:
            return [0.0] * VOCAB
        return self.table[prefix]

    def decode_step(self, state, tokens):
        if state.select is None:
            def select(rows):
                state.prefixes = [state.prefixes[row] for row in rows]
            state.select = select
        state.prefixes = [prefix + (int(token),) for prefix, token in zip(state.prefixes, tokens)]
        return torch.tensor([self._row(prefix) for prefix in state.prefixes], dtype=torch.float64)


# From the start, EOS and 4 tie (EOS ranks first: lower id) and 5 follows; after 4
# only EOS is possible, after 5 only 1. So [] and [4] finish with the same score.
EARLY_EOS = ScriptedModel({
    (START,): logits({4: 0.0, EOS: 0.0, 5: -1.0}),
    (START, 4): logits({EOS: 0.0}),
    (START, 5): logits({1: 0.0}),
})


def beam(model, n=2, min_length=0, max_length=5, penalty=1.0):
    return beam_search(model, None, SPEC, n, min_length, max_length, penalty).hypotheses


class BeamRules(unittest.TestCase):
    def test_eos_within_first_n_finishes_and_search_stops_at_n(self):
        # Step 0 finishes [] (length 1); step 1 finishes [4] (length 2, the same score)
        # and, with two finished, stops: [5, 1] never finishes. A = 1 halves [4]'s loss.
        self.assertEqual(beam(EARLY_EOS), [[4], []])

    def test_ties_go_to_the_earliest_finished(self):
        self.assertEqual(beam(EARLY_EOS, penalty=0.0), [[], [4]])

    def test_live_hypotheses_finish_at_max_length(self):
        # [] finished at step 0; [4] (tied with it) and [5] finish at the end, length 1.
        self.assertEqual(beam(EARLY_EOS, max_length=1), [[], [4], [5]])

    def test_eos_outside_first_n_does_not_finish(self):
        model = ScriptedModel({(START,): logits({4: 0.0, EOS: -0.5, 5: -1.0})})
        self.assertEqual(beam(model, n=1, max_length=1), [[4]])
        self.assertEqual(beam(model, n=2, max_length=1), [[4], [], [5]])

    def test_min_length_masks_eos(self):
        hypotheses = beam(EARLY_EOS, min_length=1, max_length=2)
        self.assertNotIn([], hypotheses)
        self.assertEqual(hypotheses[0], [4])

    def test_ties_rank_by_hypothesis_then_token(self):
        # Uniform logits: tokens 0, 1 lead at step 0, then [0, 0], [0, 1] (hypothesis 0 first).
        self.assertEqual(beam(ScriptedModel(uniform=True), max_length=2), [[0, 0], [0, 1]])

    def test_forced_length_is_top_n_over_beam_and_vocab(self):
        model, n, length = ScriptedModel(seed=7), 3, 4
        live = [((START,), 0.0)]
        for _ in range(length):
            candidates = []
            for index, (prefix, score) in enumerate(live):
                row = torch.tensor(model._row(prefix))
                row[EOS] = float("-inf")
                for token, log_prob in enumerate(torch.log_softmax(row, 0).tolist()):
                    candidates.append((-(score + log_prob), index, token))
            candidates.sort()
            live = [(live[index][0] + (token,), -negated) for negated, index, token in candidates[:n]]
        expected = [list(prefix[1:]) for prefix, _ in live]
        self.assertEqual(beam(model, n=n, min_length=length, max_length=length), expected)


class GreedyRules(unittest.TestCase):
    def test_lowest_id_on_ties(self):
        self.assertEqual(greedy(ScriptedModel(uniform=True), None, SPEC, 0, 3).hypotheses, [[0, 0, 0]])

    def test_stops_at_eos_unless_masked(self):
        model = ScriptedModel({(START,): logits({EOS: 0.0, 5: -1.0}), (START, 5): logits({EOS: 0.0})})
        self.assertEqual(greedy(model, None, SPEC, 0, 4).hypotheses, [[]])
        self.assertEqual(greedy(model, None, SPEC, 1, 4).hypotheses, [[5]])

    def test_beam_of_one_is_greedy(self):
        for seed in range(20):
            model = ScriptedModel(seed=seed)
            expected = greedy(model, None, SPEC, 2, 8).hypotheses[0]
            self.assertEqual(beam(model, n=1, min_length=2, max_length=8)[0], expected)


if __name__ == "__main__":
    unittest.main()

"""Greedy and beam search exactly as DESIGN.md's decoding rules fix them.

Both work on one source line at a time (its unpadded encoder output), so the
search order is the rules' order and nothing depends on batching. Besides the
result, each search reports its smallest decision margin: how close the
nearest competing choice came, so a test can tell a real mismatch from a
near tie that float32 rounding may flip.
"""
from dataclasses import dataclass, field

import numpy as np
import torch


@dataclass
class SearchResult:
    hypotheses: list            # token lists without EOS, best first
    step_logits: list = field(default_factory=list)  # greedy only: raw logits per step
    margin: float = float("inf")


def _masked(logits, step, min_length, eos):
    if step < min_length:
        logits = logits.clone()
        logits[..., eos] = float("-inf")
    return logits


def _gap(sorted_values):
    """Smallest difference between neighbours of a best-first sequence (finite only)."""
    values = np.asarray(sorted_values, dtype=np.float64)
    values = values[np.isfinite(values)]
    return float(np.min(values[:-1] - values[1:])) if len(values) > 1 else float("inf")


def greedy(model, memory, spec, min_length, max_length):
    """Argmax (lowest id on ties) after EOS masking; stops at EOS or after max_length tokens."""
    state = model.start_decoding(memory)
    tokens, raw, margin = [], [], float("inf")
    previous = spec.decoder_start
    for step in range(max_length):
        logits = model.decode_step(state, [previous])[0]
        raw.append(logits.numpy().copy())
        masked = _masked(logits, step, min_length, spec.eos)
        top = torch.topk(masked, 2).values.numpy() if masked.numel() > 1 else masked.numpy()
        margin = min(margin, _gap(top))
        previous = int(torch.argmax(masked))  # first maximum = lowest id
        if previous == spec.eos:
            break
        tokens.append(previous)
    return SearchResult([tokens], raw, margin)


def _rank(scores):
    """Candidate indices (hypothesis * vocab + token) best first, ties by index."""
    flat = scores.reshape(-1)
    return np.lexsort((np.arange(flat.size), -flat)), flat


def beam_search(model, memory, spec, beam, min_length, max_length, length_penalty):
    """Returns all finished hypotheses ordered by score / length^A (earliest finished on ties)."""
    if max_length == 0:
        return SearchResult([[]])
    state = model.start_decoding(memory)
    vocab = spec.target_vocab
    live_tokens, live_scores = [[]], np.zeros(1)
    finished = []  # (score, length, tokens) in the order they finished
    margin = float("inf")
    for step in range(max_length):
        last = [tokens[-1] if tokens else spec.decoder_start for tokens in live_tokens]
        logits = _masked(model.decode_step(state, last), step, min_length, spec.eos)
        log_probs = torch.log_softmax(logits, dim=-1).numpy()
        order, flat = _rank(live_scores[:, None] + log_probs)
        next_rows, next_tokens, next_scores = [], [], []
        live_boundary = []  # scores of the beam-th and (beam+1)-th non-EOS candidates
        for rank, index in enumerate(order):
            row, token = divmod(int(index), vocab)
            if token == spec.eos:
                if rank < beam:
                    finished.append((flat[index], step + 1, live_tokens[row]))
                continue
            if len(next_rows) < beam:
                next_rows.append(row)
                next_tokens.append(live_tokens[row] + [token])
                next_scores.append(flat[index])
            if len(next_rows) == beam:
                live_boundary.append(flat[index])
                if len(live_boundary) == 2 and rank >= beam:
                    break
        margin = min(margin, _gap(live_boundary))
        if any(int(i) % vocab == spec.eos for i in order[beam - 1:beam + 1]):
            margin = min(margin, _gap(flat[order[beam - 1:beam + 1]]))
        if len(finished) >= beam:
            break
        live_tokens, live_scores = next_tokens, np.array(next_scores)
        state.select(next_rows)
    else:
        finished.extend((score, max_length, tokens) for score, tokens in zip(live_scores, live_tokens))
    normalised = [score / (length ** length_penalty) for score, length, _ in finished]
    best_first = sorted(range(len(finished)), key=lambda i: (-normalised[i], i))
    margin = min(margin, _gap([normalised[i] for i in best_first[:beam + 1]]))
    return SearchResult([finished[i][2] for i in best_first], [], margin)

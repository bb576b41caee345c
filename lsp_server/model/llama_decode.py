"""Decoding on one llama.cpp context: the prompt in small batches, token healing, stop checks and cancels."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from lsp_server.model.backend import StopReason
from lsp_server.model.healing import TokenHealer, is_word_byte
from lsp_server.model.live_kv import LiveKv
from lsp_server.model.speed import MachineSpeed

log = logging.getLogger(__name__)

# Prompt batches of 128 tokens: a cancel (llama.cpp's abort callback stops the batch in flight)
# loses at most one batch, and the compute buffer is ~40 MB smaller than with the default 512.
# Measured here (2 vCPU, 0.5B coder): 64 / 128 / 256 tokens per batch evaluate a prompt at
# 210 / 219 / 222 tokens/s.
PROMPT_BATCH = 128

# Maps the raw text generated so far to what is kept, and says when (and why) to stop.
Step = Callable[[str], tuple[str, StopReason | None]]

# How many more times an answer that starts the way no suggestion may (the line below the cursor
# again) is generated from its next most likely start; each costs the tokens up to that line.
MAX_RESTARTS = 2
# The answer's first tokens keep their margin over the runner-up: a refused answer is generated again
# from the least sure of them within its first word (see restart_position).
MARGIN_TOKENS = 16


@dataclass(frozen=True)
class Decoded:
    """What one decode produced."""

    text: str
    generated: int
    stop_reason: StopReason
    prompt_ms: float
    reused: int = 0


@dataclass
class DecodeRun:
    """One decode in progress: the tokens and text so far, and why it stopped."""

    step: Step
    healed: bytes
    reused: int
    started: float
    out: list[int] = field(default_factory=list)
    text: str = ""
    stop_reason: StopReason = StopReason.MAX_TOKENS
    prompt_ms: float = 0.0
    rejected: bool = False  # the answer so far starts the way no suggestion may
    margins: list[float] = field(default_factory=list)  # per first tokens of ``out``: logit over the runner-up

    def result(self) -> Decoded:
        """What the run produced."""
        return Decoded(self.text, len(self.out), self.stop_reason, self.prompt_ms, self.reused)


class LlamaDecoder:
    """Runs decodes on one ``Llama``; llama.cpp's abort callback stops the one in flight when its cancel is set."""

    def __init__(
        self, llm, llama_cpp, kv: LiveKv, speed: MachineSpeed, healer: TokenHealer, stop_ids: frozenset[int]
    ) -> None:
        self.llm = llm
        self.kv = kv
        self.speed = speed
        self.healer = healer
        self.n_vocab: int = llm.n_vocab()
        self._stop_ids = stop_ids
        self._vocab = llm._model.vocab
        self._is_eog = llama_cpp.llama_vocab_is_eog
        self.active_cancel = threading.Event()
        # llama.cpp polls this between graph nodes, so a cancel also stops a long prompt decode.
        self._abort_callback = llama_cpp.ggml_abort_callback(lambda _data: self.active_cancel.is_set())
        llama_cpp.llama_set_abort_callback(llm._ctx.ctx, self._abort_callback, None)

    @contextmanager
    def running(
        self, tokens: list[int], cancel: threading.Event, step: Step, healed: bytes = b""
    ) -> Iterator[DecodeRun]:
        """One decode of ``tokens``: the abort callback watches ``cancel`` meanwhile, and llama.cpp's error
        for an abort that the cancel caused ends the run as cancelled instead of raising."""
        started = time.perf_counter()
        run = DecodeRun(step, healed, self.kv.common_prefix(tokens), started)
        self.active_cancel = cancel
        try:
            yield run
        except RuntimeError as exc:
            if not cancel.is_set():
                raise
            log.debug("decode aborted on cancel: %s", exc)
            run.stop_reason = StopReason.CANCELLED
        finally:
            self.active_cancel = threading.Event()

    def is_stop(self, token: int) -> bool:
        """True for the tokens that end an answer."""
        return token in self._stop_ids or self._is_eog(self._vocab, token)

    def take(self, run: DecodeRun, token: int, rejects: Callable[[str], bool] | None = None) -> bool:
        """Add a generated token to ``run``; True when the run stops at it (a stop token, the step says so, or
        ``rejects`` refuses the text so far, which the step then never sees)."""
        if self.is_stop(token):
            run.stop_reason = StopReason.STOP_TOKEN
            return True
        run.out.append(token)
        raw = b"".join(self.healer.piece(t) for t in run.out)[len(run.healed) :].decode("utf-8", errors="ignore")
        if rejects is not None and rejects(raw):
            run.text, run.rejected, run.stop_reason = raw, True, StopReason.STOP_CHECK
            return True
        run.text, stop = run.step(raw)
        if stop is not None:
            run.stop_reason = stop
            return True
        return False

    def decode(
        self,
        tokens: list[int],
        cancel: threading.Event,
        max_tokens: int,
        deadline: float | None,
        step: Step,
        healed: bytes = b"",
        batch: int = PROMPT_BATCH,
        temperature: float = 0.0,
        rejects: Callable[[str], bool] | None = None,
    ) -> Decoded:
        """Evaluate ``tokens`` and generate (greedily at temperature 0); ``step`` maps the raw text to what is kept and
        says when to stop. The prompt goes in small batches: a cancel (llama.cpp's abort callback
        stops the batch in flight) loses only that batch, and the next call resumes after the rest.
        The first tokens generated spell ``healed`` again, which the text then leaves out. An answer that
        ``rejects`` refuses (checked on each token, and on the finished text with a newline added) is
        generated again, up to MAX_RESTARTS times, with its least sure token of its first word forbidden there.
        """
        max_tokens = max(0, min(max_tokens, self.llm.n_ctx() - len(tokens)))
        with self.running(tokens, cancel, step, healed) as run:
            if not cancel.is_set():
                self.prefill(tokens, run.reused, cancel, batch)
            banned: dict[int, set[int]] = {}
            forced: list[int] = []
            for restarts_left in range(MAX_RESTARTS, -1, -1):
                margins = run.margins if rejects is not None else None  # kept only where a restart can use them
                run.out = self.start(tokens, healed, cancel, forced, banned, margins) if max_tokens else []
                if run.out and self.is_stop(run.out[-1]):  # what the model likes best after the banned start: nothing
                    run.out.pop()
                    run.stop_reason = StopReason.STOP_TOKEN
                    break
                self.generate(
                    run, tokens, cancel, max_tokens, deadline, temperature, rejects if restarts_left else None
                )
                if not run.rejected and rejects is not None and restarts_left and _ended_on_its_own(run):
                    run.rejected = rejects(run.text + "\n")
                position = self._restart_position(run) if run.rejected and restarts_left else None
                if position is None or cancel.is_set():
                    break
                banned.setdefault(position, set()).add(run.out[position])
                forced, run.margins = run.out[:position], run.margins[:position]
                log.info("an answer was refused (%r): generating it again from another token there", run.text[:80])
                self.llm.n_tokens = len(tokens) + len(forced) - 1  # the KV keeps the prompt and the start kept
                run.rejected, run.text, run.stop_reason = False, "", StopReason.MAX_TOKENS
        return run.result()

    def generate(
        self,
        run: DecodeRun,
        tokens: list[int],
        cancel: threading.Event,
        max_tokens: int,
        deadline: float | None,
        temperature: float,
        rejects: Callable[[str], bool] | None,
    ) -> None:
        """Generate after ``run.out`` (its start, already chosen) until a stop, the cap, the deadline or a cancel."""
        if cancel.is_set():
            run.stop_reason = StopReason.CANCELLED
            return
        if max_tokens == 0:
            run.stop_reason = StopReason.NO_ROOM
            return
        started, first_at = len(run.out), time.perf_counter()
        for token in self.llm.generate(tokens + run.out, *sampling(temperature), reset=True):
            if len(run.out) == started and not run.prompt_ms:
                first_at = time.perf_counter()
                run.prompt_ms = (first_at - run.started) * 1000
            if rejects is not None and len(run.margins) == len(run.out) < MARGIN_TOKENS:
                run.margins.append(_margin(self._logits(), token))  # still the logits it was chosen from
            if self.take(run, token, rejects):
                break
            if cancel.is_set():
                run.stop_reason = StopReason.CANCELLED
                break
            if len(run.out) >= max_tokens:
                break
            if deadline is not None and time.monotonic() > deadline:
                run.stop_reason = StopReason.DEADLINE
                break
        self.speed.record_generation(len(run.out) - started - 1, time.perf_counter() - first_at)

    def _logits(self) -> np.ndarray:
        """The last decode's logits (a view: valid until the next decode)."""
        return np.ctypeslib.as_array(self.llm._ctx.get_logits(), shape=(self.n_vocab,))

    def _restart_position(self, run: DecodeRun) -> int | None:
        """Where ``run``'s refused answer is generated again (see restart_position)."""
        return restart_position([self.healer.piece(token) for token in run.out], run.healed, run.margins)

    def start(
        self,
        tokens: list[int],
        healed: bytes,
        cancel: threading.Event,
        forced: list[int] | None = None,
        banned: dict[int, set[int]] | None = None,
        margins: list[float] | None = None,
    ) -> list[int]:
        """The answer's first tokens: ``forced``, then one at a time the most likely ones that spell ``healed``
        and are not ``banned`` at their position (index in the answer); each one's margin goes to ``margins``.

        The prompt and ``forced`` are evaluated but for the last of them; so is what this returns but for its
        last, which leaves ``generate`` one token to evaluate before it samples.
        """
        chosen, banned = list(forced or ()), banned or {}
        for token in chosen:
            healed = self.healer.still_pending(healed, self.healer.piece(token))
        last = chosen[-1] if chosen else tokens[-1]
        while (healed or len(chosen) in banned) and not cancel.is_set():
            self.llm.eval([last])
            logits = self._logits()
            last = self.healer.choose(logits, healed, banned.get(len(chosen), set()))
            if margins is not None and len(margins) == len(chosen) < MARGIN_TOKENS:
                margins.append(_margin(logits, last))
            chosen.append(last)
            healed = self.healer.still_pending(healed, self.healer.piece(last))
        return chosen

    def prefill(self, tokens: list[int], reused: int, cancel: threading.Event, size: int = PROMPT_BATCH) -> None:
        """Evaluate all but the last prompt token into the KV cache, in small batches.

        The last one is left to ``generate``: with the whole prompt marked as evaluated it would
        sample from the logits of whatever was decoded last.
        """
        self.llm.n_tokens = min(reused, max(0, len(tokens) - 1))
        for start in range(reused, len(tokens) - 1, size):
            if cancel.is_set():
                return
            chunk = tokens[start : min(start + size, len(tokens) - 1)]
            began = time.perf_counter()
            self.llm.eval(chunk)
            self.speed.record_prompt(len(chunk), time.perf_counter() - began)


def restart_position(pieces: list[bytes], healed: bytes, margins: list[float]) -> int | None:
    """Where a refused answer (its tokens' ``pieces``) is generated again: the token of its first visible word
    (after ``healed`` and blanks; a punctuation mark is a word of its own) that won by the smallest margin
    (``margins``, per token; none known counts as sure); None while nothing is visible.

    Forbidding the first visible token would forbid every answer that starts with it (``N`` of ``NFD`` is also
    ``N`` of ``NFC``), and the runner-up there may be a token the code never has (``" NFC"`` after ``::``).
    """
    text = b"".join(pieces)
    start = len(text) - len(text[len(healed) :].lstrip())
    if start >= len(text):
        return None
    end = start + 1
    if is_word_byte(text[start]):
        while end < len(text) and is_word_byte(text[end]):
            end += 1
    word, offset = [], 0
    for index, piece in enumerate(pieces):
        if offset < end and offset + len(piece) > start:
            word.append(index)
        offset += len(piece)
    return min(word, key=lambda index: margins[index] if index < len(margins) else float("inf"))


def _margin(logits: np.ndarray, token: int) -> float:
    """How far ``token``'s logit is above the best other token's."""
    others = max(logits[:token].max(initial=-np.inf), logits[token + 1 :].max(initial=-np.inf))
    return float(logits[token] - others)


def _ended_on_its_own(run: DecodeRun) -> bool:
    """True when the answer is finished: a stop token, the step's stop check, or the token cap."""
    return run.stop_reason in (StopReason.STOP_TOKEN, StopReason.STOP_CHECK, StopReason.MAX_TOKENS)


def stop_at(
    stops: tuple[str, ...],
    on_text: Callable[[str], None] | None = None,
    should_stop: Callable[[str], bool] | None = None,
) -> Step:
    """A decode step that cuts the text at the first stop string, streams the rest to ``on_text``, and stops where
    ``should_stop`` says the text is enough."""

    def step(text: str) -> tuple[str, StopReason | None]:
        cut = min((text.find(stop) for stop in stops if stop and stop in text), default=-1)
        if cut >= 0:
            return text[:cut], StopReason.STOP_STRING
        if on_text is not None:
            on_text(text)
        if should_stop is not None and should_stop(text):
            return text, StopReason.STOP_CHECK
        return text, None

    return step


def sampling(temperature: float) -> tuple[int, float, float, float, float]:
    """``generate``'s top_k, top_p, min_p, typical_p and temp: greedy at 0, else sampled (an alternative)."""
    if temperature <= 0:
        return 1, 0.95, 0.05, 1.0, 0.0
    return 40, 1.0, 0.0, 1.0, temperature  # no top-p / min-p cut: a confident model would be greedy again

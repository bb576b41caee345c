"""The model backend interface: what the completion service needs from an inference engine."""

from __future__ import annotations

import enum
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from lsp_server.prompting.fim import FimTemplate


class StopReason(enum.StrEnum):
    """Why a generation ended; the values are what status, logs and benchmarks show."""

    MAX_TOKENS = "max_tokens"
    STOP_TOKEN = "stop_token"
    STOP_CHECK = "stop_check"  # the request's should_stop said the text is enough
    STOP_STRING = "stop_string"  # a chat's stop string came
    CANCELLED = "cancelled"
    DEADLINE = "deadline"
    NO_ROOM = "no_room"  # the prompt filled the context: nothing could be generated
    EMPTY_PROMPT = "empty_prompt"
    WARM_UP = "warm_up"  # a prompt-only request filled the KV cache
    WARM_UP_CANCELLED = "warm_up_cancelled"
    CACHE = "cache"  # answered from the typing-through cache, no generation
    FIRST_LINES = "first_lines"  # the complete lines of a generation still running


class ModelError(Exception):
    """A model problem the user must act on; the message says what is wrong and the fix."""


@dataclass(frozen=True)
class ModelInfo:
    """What was loaded: shown by doctor, logged in the audit trail."""

    name: str
    path: str
    architecture: str
    fim_family: str
    context_length: int
    # Prompt tokens per second on this machine, measured at load (None: not measured, e.g. a server).
    prompt_tps: float | None = None


@dataclass(frozen=True)
class GenerationRequest:
    """One fill-in-the-middle generation."""

    prefix: str
    suffix: str
    max_tokens: int
    prefix_tokens: int
    suffix_tokens: int
    deadline: float | None = None
    should_stop: Callable[[str], bool] | None = None
    repo_name: str | None = None
    path: str | None = None
    context: tuple[tuple[str, str], ...] = ()
    context_tokens: int = 0
    comment: str = "#"
    # The last ``middle_chars`` of the prefix go after the FIM middle marker, as the start of the
    # answer: typing there only appends tokens, so the KV of everything before is reused.
    middle_chars: int = 0
    # Absolute line number of the prefix's first line, so the window start can move in steps.
    prefix_first_line: int = 0
    prefix_line_step: int = 1
    # The most the prompt's evaluation may take (None: no limit). A prompt that needs longer by the
    # machine's measured speed is replaced by a short one (the lines around the cursor, no context).
    eval_budget_s: float | None = None
    # 0: greedy (every suggestion); above 0: sampled, for an alternative candidate (local backend).
    temperature: float = 0.0
    # True when the answer so far starts with the code below the cursor again (its complete lines are
    # checked), which the post-processing would drop: the local backend generates it again from the next
    # most likely token where its text begins (llama_decode.MAX_RESTARTS times at most).
    repeats_code_below: Callable[[str], bool] | None = None


@dataclass(frozen=True)
class GenerationResult:
    """Raw model output with the figures the latency work needs."""

    text: str
    prompt: str
    prompt_tokens: int
    evaluated_tokens: int
    generated_tokens: int
    prompt_ms: float
    total_ms: float
    stop_reason: StopReason
    # The typed text taken back off the prompt's end and spelled again (token healing):
    # prompt + healed is what was typed.
    healed: str = ""
    # Prompt tokens whose KV came back from a saved snapshot of an earlier prompt (not evaluated).
    restored_tokens: int = 0
    # Answered from a stand-in prompt (a short one, or one with an earlier repository context already in
    # the KV): the full prompt should be filled in afterwards.
    short_prompt: bool = False


@dataclass(frozen=True)
class ChatRequest:
    """One chat-template generation (code actions, refactor plans)."""

    messages: tuple[tuple[str, str], ...]  # (role, content) pairs: "system", "user", "assistant"
    max_tokens: int
    deadline: float | None = None
    # Called from the worker thread with the text generated so far (streaming progress).
    on_text: Callable[[str], None] | None = None
    stop: tuple[str, ...] = ()


@dataclass(frozen=True)
class TextRequest:
    """One generation from a raw prompt (next-edit predictions): markers apart from the text, which never holds one."""

    parts: tuple[tuple[str, bool], ...]  # (text, is_marker): a marker is one of the model's special tokens
    max_tokens: int
    deadline: float | None = None
    stop: tuple[str, ...] = ()
    # Prompt lookup: up to this many tokens that followed the latest output's last tokens in the prompt are checked
    # in one batch with the next one (the same greedy text, faster when the answer copies the prompt); 0: off.
    draft: int = 8
    # A likely answer, checked in one batch after the prompt (with lookup on): the same greedy text, sooner when right.
    guess: str = ""
    # Says when the text is the whole answer: generation stops there (StopReason.STOP_CHECK).
    should_stop: Callable[[str], bool] | None = None

    @property
    def prompt(self) -> str:
        """The prompt as one string, for logs and servers that take text."""
        return "".join(text for text, _ in self.parts)


class Backend(Protocol):
    """An inference engine; every method blocks and runs on the runtime's one worker thread."""

    info: ModelInfo
    template: FimTemplate

    def complete(self, request: GenerationRequest, cancel: threading.Event) -> GenerationResult:
        """Generate a completion, stopping promptly once ``cancel`` is set."""
        ...

    def chat(self, request: ChatRequest, cancel: threading.Event) -> GenerationResult:
        """Answer a chat with the model's own chat template, stopping promptly once ``cancel`` is set."""
        ...

    def generate(self, request: TextRequest, cancel: threading.Event) -> GenerationResult:
        """Continue a raw prompt greedily, stopping promptly once ``cancel`` is set."""
        ...

    def close(self) -> None:
        """Free the model."""
        ...

"""How fast this machine evaluates prompts and generates tokens, measured at load and kept current."""

from __future__ import annotations

from dataclasses import dataclass

# Each new measurement moves the estimate this far: a few batches follow a change of load (another
# process, a laptop's power mode) without one odd batch swinging it.
_WEIGHT = 0.3
# Batches shorter than this are mostly fixed overhead; they say little about tokens per second.
_MIN_PROMPT_TOKENS = 16
# A machine's prompt cap moves in steps of this many tokens (so the prompt's layout stays put) and is
# never below the floor.
_CAP_STEP = 256
_CAP_MIN = 512


def prompt_cap(prompt_tps: float | None, seconds: float) -> int | None:
    """The most prompt tokens that evaluate in ``seconds`` at ``prompt_tps``; None for no limit."""
    if not prompt_tps or seconds <= 0:
        return None
    return max(_CAP_MIN, int(prompt_tps * seconds) // _CAP_STEP * _CAP_STEP)


@dataclass
class MachineSpeed:
    """Prompt and generation speed in tokens per second, as moving averages."""

    prompt_tps: float
    generation_tps: float

    def record_prompt(self, tokens: int, seconds: float) -> None:
        """Fold one evaluated prompt batch into the prompt speed."""
        if tokens >= _MIN_PROMPT_TOKENS and seconds > 0:
            self.prompt_tps += _WEIGHT * (tokens / seconds - self.prompt_tps)

    def record_generation(self, tokens: int, seconds: float) -> None:
        """Fold a run of generated tokens into the generation speed."""
        if tokens > 0 and seconds > 0:
            self.generation_tps += _WEIGHT * (tokens / seconds - self.generation_tps)

    def prompt_seconds(self, tokens: int) -> float:
        """How long evaluating ``tokens`` prompt tokens takes, by the current estimate."""
        return tokens / self.prompt_tps

    def prompt_tokens_within(self, seconds: float) -> int:
        """How many prompt tokens evaluate within ``seconds``."""
        return int(seconds * self.prompt_tps)

    def as_status(self) -> dict[str, float]:
        """The figures for iquest.status."""
        return {
            "promptTokensPerSecond": round(self.prompt_tps, 1),
            "generatedTokensPerSecond": round(self.generation_tps, 1),
        }

"""The machine's measured speed: moving averages that short batches do not sway."""

from __future__ import annotations

import pytest

from lsp_server.model.speed import MachineSpeed, prompt_cap


def test_prompt_speed_follows_measurements_but_one_batch_does_not_replace_it():
    speed = MachineSpeed(prompt_tps=100.0, generation_tps=20.0)
    speed.record_prompt(128, 0.5)  # 256 tokens/s
    assert 100.0 < speed.prompt_tps < 256.0
    for _ in range(20):
        speed.record_prompt(128, 0.5)
    assert speed.prompt_tps == pytest.approx(256.0, rel=0.01)


def test_tiny_batches_and_empty_timings_are_ignored():
    speed = MachineSpeed(prompt_tps=100.0, generation_tps=20.0)
    speed.record_prompt(2, 0.001)
    speed.record_prompt(128, 0.0)
    speed.record_generation(0, 1.0)
    assert (speed.prompt_tps, speed.generation_tps) == (100.0, 20.0)
    speed.record_generation(10, 1.0)
    assert 10.0 < speed.generation_tps < 20.0


def test_seconds_and_tokens_convert_at_the_current_speed():
    speed = MachineSpeed(prompt_tps=70.0, generation_tps=20.0)
    assert speed.prompt_seconds(1400) == pytest.approx(20.0)
    assert speed.prompt_tokens_within(2.0) == 140
    assert speed.as_status() == {"promptTokensPerSecond": 70.0, "generatedTokensPerSecond": 20.0}


def test_the_prompt_cap_is_what_evaluates_in_time_in_steps_with_a_floor():
    assert prompt_cap(100.0, 30) == 2816  # 3,000 tokens, down to a step of 256
    assert prompt_cap(70.0, 30) == 2048
    assert prompt_cap(10.0, 30) == 512  # a 7B model on a laptop: never below the floor
    assert prompt_cap(None, 30) is None  # not measured (a server backend)
    assert prompt_cap(100.0, 0) is None  # turned off

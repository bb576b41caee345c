"""Stop reasons keep the strings that status, logs and benchmarks have always shown."""

import json

from lsp_server.model.backend import StopReason


def test_stop_reasons_are_the_strings_they_always_were():
    assert {reason.name: str(reason) for reason in StopReason} == {
        "MAX_TOKENS": "max_tokens",
        "STOP_TOKEN": "stop_token",
        "STOP_CHECK": "stop_check",
        "STOP_STRING": "stop_string",
        "CANCELLED": "cancelled",
        "DEADLINE": "deadline",
        "NO_ROOM": "no_room",
        "EMPTY_PROMPT": "empty_prompt",
        "WARM_UP": "warm_up",
        "WARM_UP_CANCELLED": "warm_up_cancelled",
        "CACHE": "cache",
        "FIRST_LINES": "first_lines",
    }
    assert json.dumps({"stopReason": StopReason.CANCELLED}) == '{"stopReason": "cancelled"}'
    assert f"stop={StopReason.DEADLINE}" == "stop=deadline" and StopReason.DEADLINE == "deadline"

"""A small Chrome DevTools Protocol client: headless Chromium, keys, DOM queries, screenshots."""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

import websockets

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--metrics-recording-only",
    "--window-size=1400,900",
]

# Key name -> (key, code, windowsVirtualKeyCode, text) for the keys the tests press.
KEYS = {
    "Enter": ("Enter", "Enter", 13, "\r"),
    "Escape": ("Escape", "Escape", 27, ""),
    "End": ("End", "End", 35, ""),
    "Tab": ("Tab", "Tab", 9, "\t"),
    "ArrowRight": ("ArrowRight", "ArrowRight", 39, ""),
    "]": ("]", "BracketRight", 221, ""),
    "p": ("p", "KeyP", 80, ""),
}
MODIFIERS = {"Alt": 1, "Control": 2, "Meta": 4, "Shift": 8}


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Chromium:
    """A headless Chromium process with one page, driven over CDP."""

    def __init__(self, binary: str, profile: Path, log: Path) -> None:
        self.port = free_port()
        self._log = open(log, "wb")
        self.process = subprocess.Popen(
            [
                binary,
                *CHROMIUM_FLAGS,
                f"--remote-debugging-port={self.port}",
                f"--user-data-dir={profile}",
                "about:blank",
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self._ws: Any = None
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future] = {}
        self._reader: asyncio.Task | None = None

    async def connect(self, timeout: float = 30) -> None:
        """Attach to the page target."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/json", timeout=2) as reply:
                    targets = json.load(reply)
                page = next(t for t in targets if t["type"] == "page")
                break
            except (OSError, StopIteration, ValueError) as exc:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError(f"Chromium's DevTools endpoint did not come up on port {self.port}") from exc
                await asyncio.sleep(0.2)
        self._ws = await websockets.connect(page["webSocketDebuggerUrl"], max_size=64 * 1024 * 1024)
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for raw in self._ws:
            message = json.loads(raw)
            future = self._pending.pop(message.get("id", -1), None)
            if future is not None and not future.done():
                future.set_result(message)

    async def send(self, method: str, **params: Any) -> dict:
        """Call a CDP method; raise on a protocol error."""
        ident = next(self._ids)
        future = asyncio.get_running_loop().create_future()
        self._pending[ident] = future
        await self._ws.send(json.dumps({"id": ident, "method": method, "params": params}))
        message = await asyncio.wait_for(future, 60)
        if "error" in message:
            raise RuntimeError(f"{method}: {message['error']}")
        return message.get("result", {})

    async def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page."""
        result = await self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def wait_for(self, expression: str, timeout: float, interval: float = 0.25) -> Any:
        """Poll an expression until it is truthy; return its value."""
        deadline = time.monotonic() + timeout
        while True:
            value = await self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"still falsy after {timeout} s: {expression}")
            await asyncio.sleep(interval)

    async def press(self, name: str, *modifiers: str) -> None:
        """Press and release a key, with modifiers held."""
        key, code, vk, text = KEYS[name]
        mask = sum(MODIFIERS[m] for m in modifiers)
        common = {"key": key, "code": code, "windowsVirtualKeyCode": vk, "nativeVirtualKeyCode": vk, "modifiers": mask}
        if text and not mask:
            await self.send("Input.dispatchKeyEvent", type="keyDown", text=text, unmodifiedText=text, **common)
        else:
            await self.send("Input.dispatchKeyEvent", type="rawKeyDown", **common)
        await self.send("Input.dispatchKeyEvent", type="keyUp", **common)

    async def click(self, selector: str, text: str = "", timeout: float = 30) -> None:
        """Click the middle of the first element matching ``selector`` whose text contains ``text``."""
        find = (
            f"Array.from(document.querySelectorAll({json.dumps(selector)}))"
            f".filter(e => e.textContent.includes({json.dumps(text)}))"
            ".map(e => { const r = e.getBoundingClientRect(); "
            "return r.width > 0 ? [r.x + r.width / 2, r.y + r.height / 2] : null; })"
            ".filter(Boolean)[0]"
        )
        x, y = await self.wait_for(find, timeout)
        for kind in ("mousePressed", "mouseReleased"):
            await self.send("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    async def type_text(self, text: str, delay: float = 0.05) -> None:
        """Type text one character at a time, as a user would."""
        for char in text:
            if char == "\n":
                await self.press("Enter")
            else:
                await self.send("Input.insertText", text=char)
            await asyncio.sleep(delay)

    async def screenshot(self, path: Path) -> None:
        """Save a PNG of the page."""
        result = await self.send("Page.captureScreenshot", format="png")
        path.write_bytes(base64.b64decode(result["data"]))

    async def close(self) -> None:
        """Stop Chromium."""
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()

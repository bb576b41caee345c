"""The gpuLayers default: every layer on a GPU build of llama.cpp, none on a CPU-only one."""

from __future__ import annotations

import llama_cpp

from lsp_server.model.gpu import ALL_LAYERS, gpu_offload_supported, resolve_gpu_layers
from lsp_server.settings import Settings


def test_the_default_means_all_layers_only_when_offload_is_supported() -> None:
    assert Settings().gpu_layers == -1
    assert resolve_gpu_layers(-1, supported=True) == ALL_LAYERS == -1
    assert resolve_gpu_layers(-1, supported=False) == 0


def test_an_explicit_setting_wins() -> None:
    assert resolve_gpu_layers(0, supported=True) == 0
    assert resolve_gpu_layers(12, supported=False) == 12


def test_the_installed_build_decides_when_not_told() -> None:
    supported = bool(llama_cpp.llama_supports_gpu_offload())
    assert gpu_offload_supported() is supported
    assert resolve_gpu_layers(-1) == (ALL_LAYERS if supported else 0)

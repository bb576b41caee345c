"""Whether the installed llama.cpp can offload to a GPU, and how many layers to offload by default."""

from __future__ import annotations

ALL_LAYERS = -1


def gpu_offload_supported() -> bool:
    """True when llama-cpp-python was built with a GPU backend (CUDA, Metal, Vulkan, ...)."""
    try:
        import llama_cpp
    except Exception:
        return False
    return bool(llama_cpp.llama_supports_gpu_offload())


def resolve_gpu_layers(setting: int, supported: bool | None = None) -> int:
    """The layers to offload for iquest.gpuLayers: -1 means every layer on a GPU build and none on a CPU-only one."""
    if setting >= 0:
        return setting
    if supported is None:
        supported = gpu_offload_supported()
    return ALL_LAYERS if supported else 0

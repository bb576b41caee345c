"""Remote inference backends: llama.cpp's llama-server and OpenAI-compatible servers over HTTP."""

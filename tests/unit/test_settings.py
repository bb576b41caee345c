"""Settings parsing: typed values, namespace handling, ignored values reported."""

from lsp_server.settings import Settings, SettingsStore, needs_reindex, needs_reload, parse_settings


def test_defaults_without_options():
    settings, errors = parse_settings(None)
    assert settings == Settings()
    assert errors == []


def test_namespaced_and_bare_options_both_apply():
    namespaced, _ = parse_settings({"iquest": {"model": "smollm2-135m", "maxTokens": 32}})
    bare, _ = parse_settings({"model": "smollm2-135m", "maxTokens": 32})
    assert namespaced == bare
    assert namespaced.model == "smollm2-135m" and namespaced.max_tokens == 32


def test_invalid_values_keep_the_previous_value_and_say_why():
    base = Settings(max_tokens=48)
    settings, errors = parse_settings(
        {"maxTokens": "lots", "contextSize": 10, "multiline": "sometimes", "threads": True}, base
    )
    assert settings.max_tokens == 48
    assert settings.context_size == base.context_size
    assert settings.multiline == "auto"
    assert settings.threads == 0
    assert len(errors) == 4
    assert any("iquest.maxTokens must be an integer" in e for e in errors)
    assert any("iquest.contextSize must be at least 512" in e for e in errors)
    assert any("iquest.multiline must be one of auto, always, never" in e for e in errors)


def test_unknown_setting_is_reported():
    _, errors = parse_settings({"modle": "x"})
    assert errors and "iquest.modle is not a known setting" in errors[0]


def test_reload_only_for_load_time_settings():
    store = SettingsStore()
    old, _ = store.update({"maxTokens": 10})
    assert not needs_reload(old, store.current) and store.current.max_tokens == 10
    old, _ = store.update({"model": "smollm2-135m"})
    assert needs_reload(old, store.current)
    assert needs_reload(Settings(), Settings(gpu_layers=5))
    assert not needs_reload(Settings(), Settings(multiline="never"))


def test_effective_threads_defaults_to_cores():
    assert Settings(threads=3).effective_threads == 3
    assert Settings().effective_threads >= 1


def test_exclude_is_a_list_of_globs_and_changing_it_reindexes():
    settings, errors = parse_settings({"exclude": ["**/generated/**", "*.min.js"]})
    assert settings.exclude == ("**/generated/**", "*.min.js") and errors == []
    assert needs_reindex(Settings(), settings)
    _, errors = parse_settings({"exclude": "*.js"})
    assert errors and "list of strings" in errors[0]
    assert not needs_reindex(Settings(), Settings(max_tokens=3))


def test_switching_the_backend_or_its_server_reloads():
    local = Settings()
    remote, errors = parse_settings(
        {"backend": "llama-server", "serverUrl": "https://gpu-box:8443", "apiKeyEnv": "TEAM_KEY", "fimFamily": "qwen"}
    )
    assert not errors and remote.backend == "llama-server" and remote.server_url == "https://gpu-box:8443"
    assert needs_reload(local, remote)
    assert needs_reload(remote, parse_settings({"serverModel": "coder"}, remote)[0])


def test_bad_remote_settings_are_refused_without_echoing_a_key():
    key = "sk-Pasted-Key-By-Mistake-123"
    settings, errors = parse_settings(
        {"backend": "cloud", "serverUrl": "gpu-box:8080", "apiKeyEnv": key, "fimFamily": "gpt"}
    )
    assert (settings.backend, settings.server_url, settings.api_key_env, settings.fim_family) == (
        "local",
        "http://127.0.0.1:8080",
        "IQUEST_API_KEY",
        "auto",
    )
    assert len(errors) == 4 and not any(key in message for message in errors)
    _, errors = parse_settings({"serverUrl": f"https://user:{key}@gpu-box"})
    assert len(errors) == 1 and key not in errors[0] and "apiKeyEnv" in errors[0]


def test_context_sources_choose_among_the_known_sources():
    assert Settings().context_sources == ("types", "definitions", "similar", "imports", "recent", "neighbours")
    settings, errors = parse_settings({"contextSources": ["types", "similar"]})
    assert settings.context_sources == ("types", "similar") and errors == []
    assert parse_settings({"contextSources": []})[0].context_sources == ()
    settings, errors = parse_settings({"contextSources": ["types", "nearby"]})
    assert settings.context_sources == Settings().context_sources
    assert len(errors) == 1 and "iquest.contextSources items must be among types, definitions" in errors[0]
    assert "'nearby'" in errors[0] and "using ('types'," in errors[0]
    assert not needs_reindex(Settings(), settings)


def test_next_edit_settings_are_read_nested_or_dotted():
    nested, errors = parse_settings({"iquest": {"nextEdit": {"enabled": True, "idleMs": 250}}})
    assert (nested.next_edit_enabled, nested.next_edit_idle_ms, errors) == (True, 250, [])
    dotted, errors = parse_settings({"nextEdit.enabled": True, "nextEdit.idleMs": 5})
    assert dotted.next_edit_enabled and dotted.next_edit_idle_ms == Settings().next_edit_idle_ms
    assert errors == ["iquest.nextEdit.idleMs must be at least 50, got 5; using 400"]
    _, errors = parse_settings({"nextEdit": {"colour": "red"}})
    assert errors and "iquest.nextEdit.colour is not a known setting" in errors[0]

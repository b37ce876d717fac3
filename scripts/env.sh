# Shared environment for the repo scripts: nx offline, no daemon, no prompts, output that reaches CI logs.
export NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false NX_DEFAULT_OUTPUT_STYLE=static
export NX_SKIP_NX_CACHE_COMPARISON=true
if [ -n "${CI:-}" ]; then export NO_COLOR=1; fi

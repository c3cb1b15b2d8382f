"""Who may call the gateway: source-system and FG keys, and TLS client certificates."""

"""Text to render: the registry of text sources, Thai script rules, and access to the shipped corpora."""

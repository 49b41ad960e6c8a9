"""Build configuration: the pydantic schema (validation only, no file I/O), embedded recipes, YAML loading."""

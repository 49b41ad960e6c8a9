"""THE on-disk formats: paths of a dataset folder, label lines, dict.txt, samples.jsonl, manifest.json, PNG, LMDB,
atomic writes."""

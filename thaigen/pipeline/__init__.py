"""The pipeline: per-stage random streams, one sample from (config, seed, index), and the build (chunks, workers, resume, merge)."""

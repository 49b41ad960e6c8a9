"""The pipeline: one sample from (config, seed, index), and the build (chunks, workers, resume, merge, manifest)."""

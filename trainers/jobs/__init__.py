"""Training jobs: the container entrypoint, local and SageMaker runs, dataset channels, cost, the model card, CLI."""

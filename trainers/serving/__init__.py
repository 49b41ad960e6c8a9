"""Serving: the ASGI app on SageMaker's inference contract, its dynamic batcher, the endpoint deployer, the Dockerfile."""

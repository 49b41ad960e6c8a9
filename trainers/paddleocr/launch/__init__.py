"""Scripts PaddleOCR's tools run as (by path, so that paddle.distributed.launch can start them): nothing else lives
here, since a script's folder comes first on its import path."""

from pathlib import Path

STREAM_TRAIN = Path(__file__).with_name("stream_train.py")
"""tools/train.py with thaigen's streamed training set (stream_train.py)."""

"""thaigen's trainers: from a built dataset to a trained, exported, scored and served PaddleOCR model.

Imports thaigen, never the reverse; heavy dependencies (paddle, onnxruntime, boto3) come with the
`train` extra and are imported inside the functions that need them.
"""

"""PaddleOCR itself: training configs, its training source checkout, export, and ONNX conversion."""

"""Reading lines with any export: model folders, image prep, CTC decoding, Paddle/ONNX backends, Tesseract, ensembles, doctor."""

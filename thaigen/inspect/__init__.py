"""Inspecting datasets: lint (what PaddleOCR would drop or mangle) and the HTML/PNG report."""

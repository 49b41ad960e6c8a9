"""Evaluation: metrics, scoring engines on labelled lines, and score reports."""

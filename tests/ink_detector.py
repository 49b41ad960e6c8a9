"""A hand-built DB-shaped text detector for tests, and pages of drawn text for it: an ONNX graph that maps dark ink to text probability.

Trained DB needs hours on a CPU, and an untrained one finds nothing in particular. This graph has a DB
model's contract (1 x 3 x H x W ImageNet-normalized BGR in, 1 x 1 x H x W probability out), so Detector,
its pre-processing and PaddleOCR's DB post-process all run on it unchanged: dark pixels become text,
a horizontal closing joins the glyphs of a line, and an erosion shrinks each line about as DB's training
targets are shrunk, so that DB's unclipping grows it back to roughly the ink's box. Lines must be dark
on light, more than 2 * JOIN_PX apart sideways and 2 * JOIN_Y_PX apart vertically.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import onnx
from onnx import TensorProto, helper
from PIL import Image as PILImage
from PIL import ImageDraw, ImageFont

from thaigen.dataset.detection import DetBox

FONTS = Path(__file__).resolve().parents[1] / "fonts"

JOIN_PX = 14
"""Gaps up to 2 * JOIN_PX px between glyphs of a line are closed."""
JOIN_Y_PX = 5
"""Gaps up to 2 * JOIN_Y_PX px between a mark and its base (and between lines!) are closed."""
SHRINK_PX = 6
"""How far a line's region is eroded (on every side) before DB's unclipping grows it again."""
INK_LEVEL = 0.2
"""Normalized gray (ImageNet mean and std) below which a pixel is ink: about 50% gray."""
SHARPNESS = 12.0


def _pool(name: str, source: str, kernel: tuple[int, int]) -> onnx.NodeProto:
    pad_y, pad_x = kernel[0] // 2, kernel[1] // 2
    return helper.make_node(
        "MaxPool", [source], [name], kernel_shape=list(kernel), pads=[pad_y, pad_x, pad_y, pad_x], strides=[1, 1]
    )


def write_ink_detector(folder: Path) -> Path:
    """Write `folder`/inference.onnx (the only file a Detector needs) and return the folder."""
    nodes = [
        helper.make_node("ReduceMean", ["x"], ["gray"], axes=[1], keepdims=1),
        helper.make_node("Sub", ["level", "gray"], ["darkness"]),
        helper.make_node("Mul", ["darkness", "sharpness"], ["logit"]),
        helper.make_node("Sigmoid", ["logit"], ["ink"]),
        _pool("joined", "ink", (2 * JOIN_Y_PX + 1, 2 * JOIN_PX + 1)),
        helper.make_node("Neg", ["joined"], ["negated"]),
        _pool("eroded_negated", "negated", (2 * (JOIN_Y_PX + SHRINK_PX) + 1, 2 * (JOIN_PX + SHRINK_PX) + 1)),
        helper.make_node("Neg", ["eroded_negated"], ["probability"]),
    ]
    graph = helper.make_graph(
        nodes,
        "ink_detector",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, "height", "width"])],
        [helper.make_tensor_value_info("probability", TensorProto.FLOAT, [1, 1, "height", "width"])],
        initializer=[
            helper.make_tensor("level", TensorProto.FLOAT, [], [INK_LEVEL]),
            helper.make_tensor("sharpness", TensorProto.FLOAT, [], [SHARPNESS]),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(model)
    folder.mkdir(parents=True, exist_ok=True)
    onnx.save(model, folder / "inference.onnx")
    return folder


def draw_page(
    lines: Sequence[tuple[str, tuple[int, int]]],
    size: tuple[int, int] = (960, 640),
    font: str = "tlwg/Garuda.ttf",
    font_px: int = 28,
) -> tuple[np.ndarray, list[DetBox]]:
    """A white page (BGR) with each text drawn black at its (x, y) through raqm, and its ink box as truth."""
    face = ImageFont.truetype(str(FONTS / font), font_px, layout_engine=ImageFont.Layout.RAQM)
    page = PILImage.new("RGB", size, "white")
    draw = ImageDraw.Draw(page)
    boxes = []
    for text, xy in lines:
        left, top, right, bottom = draw.textbbox(xy, text, font=face)
        draw.text(xy, text, font=face, fill="black")
        boxes.append(DetBox(text, ((left, top), (right, top), (right, bottom), (left, bottom))))
    return cv2.cvtColor(np.asarray(page), cv2.COLOR_RGB2BGR), boxes

"""Albumentations transforms for effects albumentations 2.0.8 lacks: binarisation, toner spread, fax streaks, sub-pixel
fringes, and a fast page curl that moves keypoints exactly (its own warps map keypoints at 2-8 s per page).

Each draws its parameters from the generators the preset shares (thaigen.augment.apply.drive sets them), so
presets that use them stay a pure function of (seed, index). Pixels are changed with OpenCV calls.
"""

from __future__ import annotations

from typing import Annotated, Any

import cv2
import numpy as np
from albumentations.core.pydantic import check_range_bounds
from albumentations.core.transforms_interface import BaseTransformInitSchema, DualTransform, ImageOnlyTransform
from pydantic import AfterValidator, Field


def _gray(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image


class Binarize(ImageOnlyTransform):
    """Threshold to pure black and white, as a scanner saves a 1-bit image.

    Otsu's global threshold moved by a random `offset` in gray levels; or, for a share `adaptive` of images, a
    local (Gaussian-weighted) threshold over a window about a line high, `offset` below the local mean, that
    keeps only pixels within 40 levels above the global one (so flat paper does not turn to specks). With
    `scale` above 1 the threshold is taken at that multiple of the image's resolution (a 300-dpi scan of a line
    the model later reads at a lower one) and the result is brought back to size by area averaging, so its edges
    carry the scan's staircase without being 1-bit at the model's resolution.
    """

    class InitSchema(BaseTransformInitSchema):
        offset: Annotated[tuple[float, float], AfterValidator(check_range_bounds(-128, 128))]
        adaptive: Annotated[float, Field(ge=0, le=1)]
        scale: Annotated[tuple[float, float], AfterValidator(check_range_bounds(1, 4))]

    def __init__(self, offset: tuple[float, float] = (-10, 10), adaptive: float = 0.0,
                 scale: tuple[float, float] = (1.0, 1.0), p: float = 0.5) -> None:  # fmt: skip
        super().__init__(p=p)
        self.offset = offset
        self.adaptive = adaptive
        self.scale = scale

    def get_params(self) -> dict[str, Any]:
        offset = self.py_random.uniform(*self.offset)
        if self.adaptive == 0 and self.scale == (1.0, 1.0):
            return {"offset": offset, "local": False, "scale": 1.0}  # draws as drawing format 3 did
        local = self.py_random.random() < self.adaptive
        return {"offset": offset, "local": local, "scale": self.py_random.uniform(*self.scale)}

    def apply(self, img: np.ndarray, offset: float, local: bool, scale: float, **params: Any) -> np.ndarray:
        gray = _gray(img)
        height, width = gray.shape
        if scale > 1:
            gray = cv2.resize(gray, (round(width * scale), round(height * scale)), interpolation=cv2.INTER_CUBIC)
        otsu, _ = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
        _, binary = cv2.threshold(gray, float(np.clip(otsu + offset, 1, 254)), 255, cv2.THRESH_BINARY)
        if local:  # ink where darker than its surroundings and not far above the global threshold (no paper specks)
            window = max(3, gray.shape[0] // 2 * 2 + 1)
            near = cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY, window,
                                         abs(offset) / 2 + 4)  # fmt: skip
            _, loose = cv2.threshold(gray, float(np.clip(otsu + 40, 1, 254)), 255, cv2.THRESH_BINARY)
            binary = np.maximum(near, loose)
        if scale > 1:
            binary = cv2.resize(binary, (width, height), interpolation=cv2.INTER_AREA)
        return cv2.cvtColor(binary, cv2.COLOR_GRAY2RGB) if img.ndim == 3 else binary


class InkSpread(ImageOnlyTransform):
    """Toner that spreads (strokes thicken, counters fill in) or a light print that thins strokes, by `amount` in
    [-1, 1] (negative thins): the gray image blurred by `sigma` px and re-levelled around a moved midpoint, the
    edge staying as soft as the print's."""

    class InitSchema(BaseTransformInitSchema):
        amount: Annotated[tuple[float, float], AfterValidator(check_range_bounds(-1, 1))]
        sigma: Annotated[tuple[float, float], AfterValidator(check_range_bounds(0.1, 4))]

    def __init__(self, amount: tuple[float, float] = (-0.3, 0.3), sigma: tuple[float, float] = (0.5, 1.0),
                 p: float = 0.5) -> None:  # fmt: skip
        super().__init__(p=p)
        self.amount = amount
        self.sigma = sigma

    def get_params(self) -> dict[str, Any]:
        return {"amount": self.py_random.uniform(*self.amount), "sigma": self.py_random.uniform(*self.sigma)}

    def apply(self, img: np.ndarray, amount: float, sigma: float, **params: Any) -> np.ndarray:
        gray = _gray(img).astype(np.float32)
        low, high = float(gray.min()), float(gray.max())
        if high - low < 1:
            return img
        blurred = cv2.GaussianBlur(gray, (0, 0), sigma)
        middle = (low + high) / 2 + amount * (high - low) / 2
        levelled = np.clip((blurred - middle) * 2.5 + (low + high) / 2, low, high).astype(np.uint8)
        return cv2.cvtColor(levelled, cv2.COLOR_GRAY2RGB) if img.ndim == 3 else levelled


class Streaks(ImageOnlyTransform):
    """Thin horizontal lines across the whole width, as a dirty fax or scanner head leaves (black or white)."""

    class InitSchema(BaseTransformInitSchema):
        count: Annotated[tuple[int, int], AfterValidator(check_range_bounds(1, 16))]
        dark_share: float

    def __init__(self, count: tuple[int, int] = (1, 2), dark_share: float = 0.5, p: float = 0.5) -> None:
        super().__init__(p=p)
        self.count = count
        self.dark_share = dark_share

    def get_params_dependent_on_data(self, params: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
        height = data["image"].shape[0]
        count = self.py_random.randint(*self.count)
        rows = [self.py_random.randrange(height) for _ in range(count)]
        values = [0 if self.py_random.random() < self.dark_share else 255 for _ in range(count)]
        return {"rows": rows, "values": values}

    def apply(self, img: np.ndarray, rows: list[int], values: list[int], **params: Any) -> np.ndarray:
        out = img.copy()
        for row, value in zip(rows, values):
            cv2.line(out, (0, row), (out.shape[1] - 1, row), (value,) * (3 if out.ndim == 3 else 1), 1)
        return out


class SubpixelFringe(ImageOnlyTransform):
    """Colour fringes of sub-pixel (ClearType-like) text: red and blue sampled a fraction of a pixel apart."""

    class InitSchema(BaseTransformInitSchema):
        shift: Annotated[tuple[float, float], AfterValidator(check_range_bounds(0, 2))]

    def __init__(self, shift: tuple[float, float] = (0.25, 0.5), p: float = 0.5) -> None:
        super().__init__(p=p)
        self.shift = shift

    def get_params(self) -> dict[str, Any]:
        return {"shift": self.py_random.uniform(*self.shift) * self.py_random.choice((-1, 1))}

    def apply(self, img: np.ndarray, shift: float, **params: Any) -> np.ndarray:
        if img.ndim != 3:
            return img
        height, width = img.shape[:2]
        out = img.copy()
        for channel, dx in ((0, shift), (2, -shift)):
            matrix = np.array([[1, 0, dx], [0, 1, 0]], dtype=np.float32)
            out[:, :, channel] = cv2.warpAffine(
                np.ascontiguousarray(img[:, :, channel]), matrix, (width, height), borderMode=cv2.BORDER_REPLICATE
            )
        return out


class PageCurl(DualTransform):
    """Paper that does not lie flat: every column shifted up or down along one smooth wave, bending the lines.

    The shift is exact and invertible per column, so keypoints (polygon corners) move exactly with the
    pixels; masks move by nearest neighbour; the image keeps its size.
    """

    class InitSchema(BaseTransformInitSchema):
        amplitude: Annotated[tuple[float, float], AfterValidator(check_range_bounds(0, 0.2))]
        waves: Annotated[tuple[float, float], AfterValidator(check_range_bounds(0.05, 4))]

    def __init__(self, amplitude: tuple[float, float] = (0.005, 0.025), waves: tuple[float, float] = (0.3, 1.0),
                 p: float = 0.5) -> None:
        super().__init__(p=p)
        self.amplitude = amplitude
        self.waves = waves

    def get_params_dependent_on_data(self, params: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
        height, width = data["image"].shape[:2]
        amplitude = self.py_random.uniform(*self.amplitude) * height
        frequency = self.py_random.uniform(*self.waves) * 2 * np.pi / width
        return {"wave": (amplitude, frequency, self.py_random.uniform(0, 2 * np.pi))}

    @staticmethod
    def _shift(x: np.ndarray, wave: tuple[float, float, float]) -> np.ndarray:
        amplitude, frequency, phase = wave
        return (amplitude * np.sin(frequency * x + phase)).astype(np.float32)

    def _remap(self, img: np.ndarray, wave: tuple[float, float, float], interpolation: int, border: int) -> np.ndarray:
        height, width = img.shape[:2]
        map_x = np.broadcast_to(np.arange(width, dtype=np.float32), (height, width))
        map_y = np.arange(height, dtype=np.float32)[:, None] - self._shift(np.arange(width, dtype=np.float32), wave)
        return cv2.remap(img, np.ascontiguousarray(map_x), map_y, interpolation, borderMode=border)

    def apply(self, img: np.ndarray, wave: tuple[float, float, float], **params: Any) -> np.ndarray:
        return self._remap(img, wave, cv2.INTER_LINEAR, cv2.BORDER_REPLICATE)

    def apply_to_mask(self, mask: np.ndarray, wave: tuple[float, float, float], **params: Any) -> np.ndarray:
        return self._remap(mask, wave, cv2.INTER_NEAREST, cv2.BORDER_CONSTANT)

    def apply_to_keypoints(self, keypoints: np.ndarray, wave: tuple[float, float, float], **params: Any) -> np.ndarray:
        moved = keypoints.copy()
        moved[:, 1] += self._shift(keypoints[:, 0], wave)
        return moved


CUSTOM = {cls.__name__: cls for cls in (Binarize, InkSpread, Streaks, SubpixelFringe, PageCurl)}
"""thaigen's own transforms, usable in presets beside albumentations' by name."""

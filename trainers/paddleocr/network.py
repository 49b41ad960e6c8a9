"""The network PaddleOCR's tools/train.py builds for a config, and its parameter names and shapes.

Needs PaddleOCR's source importable (`ppocr`): `pretrained.model_shapes` runs this module with the source as
its working folder, `python -m trainers.paddleocr.network CONFIG.yml`, which prints {name: shape} as JSON.
"""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

NRTR_EXTRA_CLASSES = 3
"""tools/train.py: a MultiHead's NRTRLabelDecode gets the CTC classes + 3 (its start, end and padding tokens)."""


def build_network(config: dict[str, Any]) -> Any:
    """The model tools/train.py builds: head sizes from the decoder's character list, then `build_model`.

    Raises:
        ValueError: a MultiHead recogniser whose second loss is not NRTRLoss (not a layout thaigen writes).
    """
    from ppocr.modeling.architectures import build_model
    from ppocr.postprocess import build_post_process

    config = copy.deepcopy(config)
    architecture = config["Architecture"]
    if architecture["model_type"] == "rec":
        classes = len(build_post_process(config["PostProcess"], config["Global"]).character)
        head = architecture["Head"]
        if head["name"] == "MultiHead":
            second = next(iter(config["Loss"]["loss_config_list"][1]))
            if second != "NRTRLoss":
                raise ValueError(f"MultiHead with {second}: only CTC + NRTR heads are sized here")
            head["out_channels_list"] = {"CTCLabelDecode": classes, "NRTRLabelDecode": classes + NRTR_EXTRA_CLASSES}
        else:
            head["out_channels"] = classes
    return build_model(architecture)


def parameter_shapes(network: Any) -> dict[str, list[int]]:
    """Every tensor of the network's state dict (parameters and buffers, as .pdparams hold them): name -> shape."""
    return {name: [int(n) for n in tensor.shape] for name, tensor in network.state_dict().items()}


def main(argv: Sequence[str] | None = None) -> int:
    """Print the parameter shapes of the network a written config builds, as one JSON line."""
    (config_path,) = list(sys.argv[1:] if argv is None else argv)
    config = yaml.safe_load(Path(config_path).read_text(encoding="utf-8"))
    print(json.dumps(parameter_shapes(build_network(config))))
    return 0


if __name__ == "__main__":
    sys.exit(main())

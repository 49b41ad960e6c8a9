"""--pretrained: which weights file a path names, and the report of what PaddleOCR loads of it."""

from __future__ import annotations

from pathlib import Path

import pytest

from thaigen.errors import ConfigError
from trainers.paddleocr import pretrained
from trainers.paddleocr import source as paddle_source
from trainers.paddleocr.configs import Arch, Layout, TrainOptions, build_config, write_config

pytestmark = pytest.mark.filterwarnings(
    "ignore:No ccache found:UserWarning",
    "ignore:invalid escape sequence:DeprecationWarning",
    "ignore:Skip loading for:UserWarning",  # paddle's set_state_dict on the tensors load_pretrained_params leaves out
)


def test_weights_are_found_as_paddleocr_names_them(tmp_path: Path) -> None:
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "latest.pdparams").write_bytes(b"")
    assert pretrained.resolve_weights(tmp_path / "run") == (tmp_path / "run" / "latest.pdparams").resolve()
    (tmp_path / "run" / "best_accuracy.pdparams").write_bytes(b"")
    assert pretrained.resolve_weights(tmp_path / "run").name == "best_accuracy.pdparams"
    assert pretrained.resolve_weights(tmp_path / "run" / "latest").name == "latest.pdparams"  # a prefix
    (tmp_path / "one").mkdir()
    (tmp_path / "one" / "th_PP-OCRv5_mobile_rec_pretrained.pdparams").write_bytes(b"")
    assert pretrained.resolve_weights(tmp_path / "one").name == "th_PP-OCRv5_mobile_rec_pretrained.pdparams"
    (tmp_path / "infer").mkdir()
    (tmp_path / "infer" / "inference.pdiparams").write_bytes(b"")
    with pytest.raises(ConfigError, match="inference model only; fine-tuning needs its training weights"):
        pretrained.resolve_weights(tmp_path / "infer")
    with pytest.raises(ConfigError, match="pretrained weights not found"):
        pretrained.resolve_weights(tmp_path / "nothing")


def test_compare_counts_as_load_pretrained_params() -> None:
    network = {"a": [2, 3], "b": [4], "c": [5]}
    report = pretrained.compare(network, {"a": [2, 3], "b": [7], "x": [1]})
    assert (report.loaded, report.mismatched, report.unused, report.initialised) == (1, (("b", (4,), (7,)),), ("x",), 2)


def _dataset(folder: Path, dict_text: bytes) -> Path:
    from tests.test_ppocr_config import _handmade

    _handmade(folder, ["12"])
    (folder / "dict.txt").write_bytes(dict_text)
    return folder


def test_report_of_a_saved_network_loaded_into_another(ppocr: Path, tmp_path: Path) -> None:
    """All tensors of a freshly built ppocrv5-th network load into another; under a dict of another size the
    head's class-sized tensors are skipped, and PaddleOCR's own load_pretrained_params skips exactly those."""
    if not paddle_source.is_source(ppocr):
        pytest.skip("needs the full PaddleOCR source (set PADDLEOCR_SRC)")
    import numpy as np
    import paddle
    from ppocr.utils.save_load import load_pretrained_params

    from trainers.paddleocr.network import build_network

    official = (Path(__file__).parent / "fixtures" / "ppocrv5_th_dict.txt").read_bytes()
    configs = {}
    for name, text in (("official", official), ("small", "".join(f"{chr(0x0E01 + i)}\n" for i in range(40)).encode())):
        layout = Layout.of(_dataset(tmp_path / name, text))
        configs[name] = (write_config(build_config(layout, TrainOptions(Arch.PPOCRV5_TH, tmp_path / "o")), tmp_path / f"{name}.yml"), layout)
    import yaml

    network = build_network(yaml.safe_load(configs["official"][0].read_text(encoding="utf-8")))
    weights = tmp_path / "w.pdparams"
    paddle.save(network.state_dict(), str(weights))

    same = pretrained.check(ppocr, configs["official"][0], weights)
    assert same.loaded == same.network_tensors == len(network.state_dict()) and not same.mismatched and not same.unused
    lines = same.lines(weights, configs["official"][1].dict_path)
    assert lines[0] == f"pretrained {weights}: {same.network_tensors} of {same.network_tensors} tensors load, 0 skipped for shape mismatch, 0 not in the network"

    other = pretrained.check(ppocr, configs["small"][0], weights)
    skipped = {name for name, _, _ in other.mismatched}
    assert skipped == {
        "head.ctc_head.fc.weight", "head.ctc_head.fc.bias",
        "head.gtc_head.embedding.embedding.weight", "head.gtc_head.tgt_word_prj.weight",  # the NRTR projection has no bias
    }
    assert other.loaded == other.network_tensors - len(skipped) and not other.unused
    assert "the head has 42 classes here (dict.txt's 40 entries + space + blank), 525 in the weights" in "\n".join(
        other.lines(weights, configs["small"][1].dict_path)
    )

    fresh = build_network(yaml.safe_load(configs["small"][0].read_text(encoding="utf-8")))
    load_pretrained_params(fresh, str(weights))
    saved = paddle.load(str(weights))
    took = {name for name, value in fresh.state_dict().items() if name not in skipped}
    assert all(np.array_equal(fresh.state_dict()[n].numpy(), saved[n].numpy()) for n in took)
    assert all(list(fresh.state_dict()[n].shape) != list(saved[n].shape) for n in skipped)

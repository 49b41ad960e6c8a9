"""Config validation at the edge: recipes, YAML files, unknown keys."""

import re
from pathlib import Path

import pytest

from thaigen.config.loading import load_config, make_config
from thaigen.config.recipes import RECIPES
from thaigen.errors import ConfigError
from thaigen.pipeline.build import build


def test_default_is_mixed_1000() -> None:
    config = make_config()
    assert (config.recipe, config.count, config.render.height) == ("mixed", 1000, 48)


@pytest.mark.parametrize("recipe", sorted(RECIPES))
def test_every_recipe_validates(recipe: str) -> None:
    assert make_config(recipe).sources == RECIPES[recipe]["sources"]


def test_yaml_overrides_recipe_and_cli_overrides_yaml(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("recipe: digits\ncount: 5\nrender:\n  height: 32\nsources:\n  phone: 1\n", encoding="utf-8")
    config = load_config(path, count=9)
    assert (config.recipe, config.count, config.render.height, config.sources) == ("digits", 9, 32, {"phone": 1})
    assert config.render.margin_x == (2, 16)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("cuont: 5\n", "unknown config key 'cuont' \\(did you mean 'count'"),
        ("render:\n  hieght: 5\n", "unknown config key 'render.hieght' \\(did you mean 'height'\\?\\)"),
        ("fonts:\n  fallbak: []\n", "unknown config key 'fonts.fallbak' \\(did you mean 'fallback'\\?\\)"),
        ("render:\n  zzzz: 1\n", "unknown config key 'render.zzzz'$"),
        ("sources:\n  klingon: 1\n", "unknown text source 'klingon'"),
        ("count: -1\n", "count"),
        ("render:\n  text_gray: [0, 200]\n", "contrast"),
        ("- a\n- b\n", "must hold a mapping"),
        ("count: [\n", "bad.yaml:2:1: not valid YAML: "),
        ("count: 3\nfonts:\n  files: [a, b\nseed: 1\n", r"bad.yaml:4:5: not valid YAML: .*flow sequence at 3:10\)$"),
        ("recipe: [digits]\n", "recipe: must be a recipe name, not list"),
        ("recipe: {digits: 1}\n", "recipe: must be a recipe name, not dict"),
        ("recipe: 7\n", "recipe: must be a recipe name, not int"),
        ("recipe: ''\n", "unknown recipe ''"),
        ("sources:\n  phone: .nan\n", "sources.phone: Input should be a finite number"),
        ("render:\n  line_fill: [0.8, .inf]\n", "render.line_fill.1: Input should be a finite number"),
        ("augment:\n  preset: [scan]\n", "preset: must be a preset name, not list"),
        ("render:\n  background_gray: [150, 291]\n", r"render.background_gray must lie within \[0, 255\]"),
        ("render:\n  margin_x: [2, 100000]\n", r"render.margin_x must lie within \[1, 256\] px"),
    ],
)
def test_bad_config_names_the_culprit(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_config(path)


def test_unknown_recipe_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown recipe 'nope'"):
        make_config("nope")
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "missing.yaml")


def test_digest_tracks_content() -> None:
    assert make_config(seed=1).digest() == make_config(seed=1).digest() != make_config(seed=2).digest()


def test_recipe_null_means_the_default(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("recipe:\n", encoding="utf-8")
    assert load_config(path).recipe == "mixed"


def test_unreadable_config_file_is_one_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=f"cannot read config file {tmp_path}: Is a directory"):
        load_config(tmp_path)


def test_validation_reads_no_files() -> None:
    config = make_config(
        sources={"corpus": 1}, corpus_files=["/nonexistent/lines.txt"], fonts={"files": ["/nonexistent/font.ttf"]},
        background={"kinds": {"image": 1}, "images": ["/nonexistent/images"]},
    )
    assert config.background.images == (Path("/nonexistent/images"),)


def test_zero_weight_corpus_without_files_builds(tmp_path: Path) -> None:
    config = make_config(count=2, sources={"corpus": 0, "phone": 1})
    assert build(config, tmp_path / "o", workers=1, progress=False).manifest["counts"]["samples"] == 2


def test_examples_suggest_folders_no_recipe_builds_into() -> None:
    """`--overwrite` on a suggested --out must never replace a recipe's default build (datasets/<recipe>)."""
    examples = Path(__file__).parent.parent / "examples"
    suggested = {Path(out).name for f in examples.glob("*.yaml")
                 for out in re.findall(r"--out datasets/(\S+)", f.read_text(encoding="utf-8"))}
    assert {"receipt-lines", "form-lines"} <= suggested and not suggested & set(RECIPES)


@pytest.mark.parametrize(("key", "value"), [("max_text_length", 50_000_000), ("ctc_time_steps", 10_000)])
def test_a_label_budget_no_line_could_fill_is_refused_in_one_line(key: str, value: int) -> None:
    # The fuzz test found max_text_length 50,000,000: the running-text sources spent minutes filling one line.
    with pytest.raises(ConfigError, match=f"^{key}: .*less than or equal to") as raised:
        make_config(file_values={key: value})
    assert "\n" not in str(raised.value)

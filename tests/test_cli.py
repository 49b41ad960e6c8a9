"""The command line as a user runs it: exit codes and one-line errors that name the culprit."""

from __future__ import annotations

import errno
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from thaigen import cli
from thaigen.cli import main
from thaigen.dataset import paths
from thaigen.resources import data_dir
from thaigen.text.sources import SOURCES


def _thaigen(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "thaigen", *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=300, check=False
    )


def test_build_then_lint(tmp_path: Path) -> None:
    built = _thaigen("build", "--recipe", "digits", "--count", "40", "--out", tmp_path / "d", "--workers", "1", "--quiet")
    assert built.returncode == 0, built.stderr
    assert "built:" in built.stdout and "dict" in built.stdout
    again = _thaigen("build", "--recipe", "digits", "--count", "40", "--out", tmp_path / "d", "--quiet")
    assert again.returncode == 0 and "already up to date" in again.stdout
    linted = _thaigen("lint", tmp_path / "d")
    assert linted.returncode == 0 and linted.stdout.strip().endswith(f"0 problem(s) in {tmp_path / 'd'}")


def test_lint_dict_names_defects_exit_1(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    official = Path(__file__).parent / "fixtures" / "ppocrv5_th_dict.txt"
    assert main(["lint", "--dict", str(official)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[3].startswith(f"{official}:441: 'ωก'") and out[-2] == f"5 problem(s) in {official}"
    assert out[-1].startswith("note: 4 Thai character(s) have no class")  # ฃ ๎ ๏ ๛: coverage, not defects
    (tmp_path / "dict.txt").write_text("".join(f"{chr(c)}\n" for c in range(0x0E01, 0x0E3B)), encoding="utf-8")
    assert main(["lint", "--dict", str(tmp_path / "dict.txt")]) == 0  # no ฿, digits, ...: named in a note
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"0 problem(s) in {tmp_path / 'dict.txt'}" and "฿ U+0E3F" in out[1] and "๙ U+0E59" in out[1]
    assert _main(capsys, "lint") == (2, "thaigen: error: lint needs a dataset (folder or label file) or --dict FILE\n")
    assert _main(capsys, "lint", "--dict", tmp_path / "none.txt")[0] == 2


def test_default_build_goes_to_documented_folder(tmp_path: Path) -> None:
    result = _thaigen("build", "--count", "3", "--quiet", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "datasets" / "mixed" / "train.txt").is_file()


def test_user_corpus_lines_become_labels(tmp_path: Path) -> None:
    corpus = tmp_path / "lines.txt"
    corpus.write_text("# my lines\nใบเสร็จรับเงิน\nเลขประจำตัวผู้เสียภาษี\n", encoding="utf-8")
    config = tmp_path / "c.yaml"
    config.write_text(f"sources: {{corpus: 1}}\ncorpus_files: [{corpus}]\ncount: 12\n", encoding="utf-8")
    result = _thaigen("build", "--config", config, "--out", tmp_path / "d", "--workers", "1", "--quiet")
    assert result.returncode == 0, result.stderr
    labels = {line.split("\t")[1] for f in ("train.txt", "val.txt") for line in (tmp_path / "d" / f).read_text().splitlines()}
    assert labels == {"ใบเสร็จรับเงิน", "เลขประจำตัวผู้เสียภาษี"}
    assert result.stderr == ""


def test_corpus_lines_never_drawn_are_counted_once_per_file(tmp_path: Path) -> None:
    corpus = tmp_path / "lines.txt"
    long = "นี่คือบรรทัดที่ยาวมากเกินกว่าขีดจำกัดของป้ายกำกับแน่นอน"
    corpus.write_text(f"# mine\nสวัสดีครับ\n{long}\nทดสอบ\n日本語のテキスト\n{long}ครับ\nราคา 10 บาท\n", encoding="utf-8")
    config = tmp_path / "c.yaml"
    config.write_text(f"sources: {{corpus: 1}}\ncorpus_files: [{corpus}]\n", encoding="utf-8")
    result = _thaigen("build", "--config", config, "--count", "40", "--out", tmp_path / "d", "--workers", "1", "--quiet")
    assert result.returncode == 0, result.stderr
    assert result.stderr == (
        f"thaigen: warning: corpus file {corpus}: 3 of 6 lines never drawn: 2 longer than max_text_length 25 code "
        "points or ctc_time_steps 40 (first: line 3); 1 that no configured font (with fallbacks) covers (first: line 5)\n"
    )
    labels = {line.split("\t")[1] for f in ("train.txt", "val.txt") for line in (tmp_path / "d" / f).read_text().splitlines()}
    assert labels == {"สวัสดีครับ", "ทดสอบ", "ราคา 10 บาท"}


@pytest.mark.parametrize(
    ("config", "culprit"),
    [
        ("cuont: 3\n", "unknown config key 'cuont'"),
        ("fonts:\n  files: [/nonexistent/font.ttf]\n", "font file not found: /nonexistent/font.ttf"),
        ("fonts:\n  dirs: [/nonexistent]\n", "font folder not found: /nonexistent"),
        (f"fonts:\n  shipped: false\n  files: [{data_dir('fonts')}/noto/NotoSans-Regular.ttf]\n", "NotoSans-Regular.ttf has no Thai: list it under fonts.fallback"),
        ("sources: {corpus: 1}\ncorpus_files: [EMPTY]\n", "has no items"),
        ("sources: {corpus: 1}\ncorpus_files: [/nonexistent.txt]\n", "cannot read corpus file /nonexistent.txt"),
        (f"sources: {{corpus: 1}}\ncorpus_files: [{data_dir('fonts')}/tlwg/Garuda.ttf]\n", "Garuda.ttf is not UTF-8 text"),
        ("max_text_length: 2\nsources: {sentence: 1}\n", "text source 'sentence' made no text within 2"),
    ],
)
def test_bad_input_one_line_exit_2(tmp_path: Path, config: str, culprit: str) -> None:
    (tmp_path / "empty.txt").write_text("# nothing here\n\n", encoding="utf-8")
    path = tmp_path / "c.yaml"
    path.write_text(config.replace("EMPTY", str(tmp_path / "empty.txt")), encoding="utf-8")
    result = _thaigen("build", "--config", path, "--count", "5", "--out", tmp_path / "o", "--workers", "1", "--quiet")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and culprit in result.stderr, result.stderr
    assert result.stderr.startswith("thaigen: error: ")


def test_unknown_recipe_and_excluded_font_warning(tmp_path: Path) -> None:
    unknown = _thaigen("build", "--recipe", "nope")
    assert unknown.returncode == 2 and "invalid choice: 'nope'" in unknown.stderr
    from fontTools.ttLib import TTFont

    font = TTFont(str(data_dir("fonts") / "tlwg" / "Garuda.ttf"))
    del font["GPOS"]
    font.save(str(tmp_path / "NoMarks.ttf"))
    config = tmp_path / "c.yaml"
    config.write_text(f"fonts:\n  files: [{tmp_path / 'NoMarks.ttf'}]\n", encoding="utf-8")
    result = _thaigen("build", "--config", config, "--count", "3", "--out", tmp_path / "o", "--quiet")
    assert result.returncode == 0
    assert "thaigen: warning: font" in result.stderr and "NoMarks.ttf left out: it draws Thai marks into other ink" in result.stderr


def test_text_no_font_covers_is_one_line(tmp_path: Path) -> None:
    corpus = tmp_path / "cjk.txt"
    corpus.write_text("漢字\n", encoding="utf-8")
    config = tmp_path / "c.yaml"
    config.write_text(f"sources: {{corpus: 1}}\ncorpus_files: [{corpus}]\n", encoding="utf-8")
    result = _thaigen("build", "--config", config, "--count", "2", "--out", tmp_path / "o", "--quiet")
    assert result.returncode == 2 and "no configured font (with fallbacks) covers" in result.stderr
    assert "'漢字'" in result.stderr and result.stderr.count("\n") == 1


def _main(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str]:
    code = main([str(a) for a in args])
    return code, capsys.readouterr().err


def test_only_build_failures_mention_resume(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    image = tmp_path / "o" / "images" / "0.png"

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(image))

    def in_use(args: object) -> int:
        raise OSError(errno.EADDRINUSE, "Address already in use")

    def interrupt(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    build = ["build", "--count", "2", "--out", tmp_path / "o", "--quiet"]
    monkeypatch.setattr(cli, "build", full)
    assert _main(capsys, *build) == (2, f"thaigen: error: disk full: {image}\n")  # nothing started: nothing to resume
    monkeypatch.setattr(cli, "build", interrupt)
    assert _main(capsys, *build) == (130, "thaigen: interrupted\n")
    (tmp_path / "o").mkdir()
    (tmp_path / "o" / paths.STATE).write_text("{}", encoding="utf-8")  # a started build
    assert _main(capsys, *build) == (130, f"thaigen: interrupted; {cli.RESUME_HINT}\n")
    monkeypatch.setattr(cli, "build", full)
    assert _main(capsys, *build) == (2, f"thaigen: error: disk full: {image} ({cli.RESUME_HINT})\n")
    monkeypatch.setattr(cli, "_lint", in_use)
    assert _main(capsys, "lint", tmp_path) == (2, "thaigen: error: Address already in use\n")
    monkeypatch.setattr(cli, "_lint", interrupt)
    assert _main(capsys, "lint", tmp_path) == (130, "thaigen: interrupted\n")


def test_other_commands_os_error_is_one_line_naming_the_file(
    small_dataset: Callable[[str, int, int], Path], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "file").write_text("", encoding="utf-8")
    code, err = _main(capsys, "report", small_dataset("digits", 40, 4), "--out", tmp_path / "file" / "report")
    assert (code, err) == (2, f"thaigen: error: Not a directory: {tmp_path / 'file' / 'report'}\n")


@pytest.mark.parametrize("value", ["[documents]", "{documents: 1}", "3", "true"])
def test_recipe_that_is_not_a_name_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path, value: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(f"recipe: {value}\n", encoding="utf-8")
    code, err = _main(capsys, "build", "--config", path, "--count", "2", "--out", tmp_path / "o", "--quiet")
    assert code == 2 and err.startswith("thaigen: error: recipe: must be a recipe name") and err.count("\n") == 1


def test_a_bug_in_a_text_source_is_not_reported_as_a_config_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    def broken(rng: object) -> str:
        raise ValueError("a bug inside the phone source")

    monkeypatch.setitem(SOURCES, "phone", broken)
    path = tmp_path / "c.yaml"
    path.write_text("sources: {phone: 1}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="a bug inside the phone source"):  # python -m thaigen: traceback, exit 1
        main(["build", "--config", str(path), "--count", "2", "--out", str(tmp_path / "o"), "--workers", "1", "--quiet"])
    assert "thaigen: error" not in capsys.readouterr().err


def test_error_messages_stay_on_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text('sources: {"two\\nlines": 1}\n', encoding="utf-8")
    code, err = _main(capsys, "build", "--config", path, "--count", "2", "--out", tmp_path / "o", "--quiet")
    assert code == 2 and err.count("\n") == 1 and "unknown text source 'two\\nlines'" in err


def test_line_too_wide_to_draw_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    corpus = tmp_path / "long.txt"
    corpus.write_text(" ".join(["ใบเสร็จรับเงิน"] * 40) + "\n", encoding="utf-8")
    path = tmp_path / "c.yaml"
    path.write_text(
        f"sources: {{corpus: 1}}\ncorpus_files: [{corpus}]\nmax_text_length: 700\nctc_time_steps: 700\nrender: {{height: 256}}\n",
        encoding="utf-8",
    )
    code, err = _main(capsys, "build", "--config", path, "--count", "1", "--workers", "1", "--out", tmp_path / "o", "--quiet")
    assert code == 2 and err.count("\n") == 1 and "sample 0: its line is" in err and "px wide, over 30000" in err


def test_a_plugin_missing_its_dependencies_leaves_build_working(tmp_path: Path) -> None:
    """The generator-only install (no train extra): `serve` needs uvicorn while adding its arguments."""
    code = (
        "import sys; sys.modules['uvicorn'] = None\n"  # what `import uvicorn` sees when it is not installed
        "from thaigen.cli import main\n"
        f"code = main(['build', '--count', '3', '--workers', '1', '--quiet', '--out', {str(tmp_path / 'd')!r}])\n"
        "print('build', code); sys.exit(main(['serve']))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=300)
    assert "build 0" in done.stdout, done.stderr
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "thaigen: error: 'serve' needs uvicorn, which is not installed: pip install -e '.[train]' (see README)"
    ]


def test_build_loads_no_plugin_command_but_help_lists_them(tmp_path: Path) -> None:
    """A built-in command skips the plugins' imports; the command list still shows every plugin."""
    script = (
        "import sys; from thaigen.cli import main; "
        f"code = main(['build', '--recipe', 'digits', '--count', '4', '--out', {str(tmp_path / 'd')!r}, '--quiet']); "
        "print(code, ' '.join(sorted({m.split('.')[1] for m in sys.modules if m.startswith('trainers.')})))"
    )
    built = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=False)
    code, *loaded = built.stdout.strip().splitlines()[-1].split()
    assert code == "0", built.stderr
    assert set(loaded) <= {"jobs", "aws"}  # only what the --engine plugin (SageMaker Processing) imports
    listed = _thaigen("--help")
    assert listed.returncode == 0
    for command in ("train", "score", "read", "serve", "aws", "build", "lint"):
        assert command in listed.stdout

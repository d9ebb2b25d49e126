"""Tests of the ``skmax`` command line (skmax.cli).

The commands run as real processes, ``python -m skmax.cli ...``, so that exit codes,
stdout and stderr are what a user sees. Each process pays the import of scikit-learn
(about a second, more on a busy machine), so the runs a test needs are started
together in a thread pool, and the long list of error cases calls ``main`` in-process
(``capsys``), with a few of them repeated as processes to check the exit-code
plumbing. In-process runs also fall under pytest's warnings-as-errors.
"""

import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import joblib
import numpy as np
import pytest
from numpy.testing import assert_allclose

from skmax import TemperatureScaler, __version__
from skmax.cli import main
from skmax.special import softmax

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "calibration"
DENSENET = DATA / "densenet40_cifar10_logits.npz"

N_SAMPLES, N_CLASSES, TRUE_T = 10_000, 5, 3.0
OUTPUTS = ("out.npy", "out.csv")  # the two formats `skmax apply` writes


def _run_all(commands, cwd):
    """Run ``python -m skmax.cli *args`` for each args, concurrently."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}

    def run(args):
        return subprocess.run(
            [sys.executable, "-m", "skmax.cli", *map(str, args)],
            capture_output=True,
            text=True,
            cwd=cwd,
            env=env,
            timeout=120,
        )

    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 1)) as pool:
        return dict(zip(commands, pool.map(run, commands.values()), strict=True))


def _printed_temperature(stdout):
    match = re.search(r"^T = (\d+\.\d{5}) ", stdout, re.MULTILINE)
    assert match, f"no 'T = ' line with 5 decimals in:\n{stdout}"
    return float(match.group(1))


def _table_row(stdout, name):
    """The (before, after) numbers of one row of the printed comparison."""
    number = r"(\d\.\d{4})"
    row = rf"^  {re.escape(name)}\s+{number}\s+{number}$"
    match = re.search(row, stdout, re.MULTILINE)
    assert match, f"no row {name!r} in:\n{stdout}"
    return float(match.group(1)), float(match.group(2))


def _assert_png(path):
    data = Path(path).read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    """Logits whose labels follow softmax(logits / 3), in every input format."""
    folder = tmp_path_factory.mktemp("cli")
    rng = np.random.default_rng(0)
    logits = 3 * rng.standard_normal((N_SAMPLES, N_CLASSES))
    proba = softmax(logits / TRUE_T, axis=1)
    labels = (proba.cumsum(axis=1) > rng.random((N_SAMPLES, 1))).argmax(axis=1)
    new_logits = 4 * rng.standard_normal((50, N_CLASSES))
    np.save(folder / "logits.npy", logits)
    np.save(folder / "labels.npy", labels)
    np.save(folder / "new.npy", new_logits)
    np.save(folder / "proba.npy", softmax(logits, axis=1))
    np.savez(folder / "data.npz", val_logits=logits, val_labels=labels, other=[1])
    header = ",".join(f"class_{j}" for j in range(N_CLASSES))  # detected, skipped
    csv = {"delimiter": ",", "fmt": "%.17g", "header": header, "comments": ""}
    np.savetxt(folder / "logits.csv", logits, **csv)
    np.savetxt(folder / "labels.csv", labels, fmt="%d")
    return folder, logits, labels, new_logits


@pytest.fixture(scope="module")
def runs(synthetic):
    """All the process runs, started together: the first batch, then ``apply``."""
    folder = synthetic[0]
    first = {
        "demo": ["demo", "--plot", folder / "demo.png"],
        "npy": ["calibrate", "logits.npy", "labels.npy", "--save", "npy.pkl",
                "--plot", "npy.png"],
        "npz": ["calibrate", "data.npz:val_logits", "data.npz:val_labels",
                "--save", "npz.pkl"],
        "csv": ["calibrate", "logits.csv", "labels.csv", "--save", "csv.pkl"],
        "probabilities": ["calibrate", "proba.npy", "labels.npy", "--probabilities",
                          "--save", "probabilities.pkl"],
        "no command": [],
        "missing file": ["calibrate", "nowhere.npy", "labels.npy"],
    }  # fmt: skip
    if DENSENET.exists():
        first["densenet"] = [
            "calibrate",
            f"{DENSENET}:val_logits",
            f"{DENSENET}:val_labels",
        ]
    results = _run_all(first, folder)
    apply = {out: ["apply", "npy.pkl", "new.npy", "--out", out] for out in OUTPUTS}
    return results | _run_all(apply, folder)


def test_demo_reports_an_improvement_and_writes_a_png(synthetic, runs):
    run, png = runs["demo"], synthetic[0] / "demo.png"
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    assert 1 < _printed_temperature(run.stdout) < 5
    accuracy = _table_row(run.stdout, "accuracy")
    nll = _table_row(run.stdout, "NLL (log loss)")
    ece = _table_row(run.stdout, "ECE (15 equal-width bins)")
    assert accuracy[0] == accuracy[1]  # T never changes the predicted class
    assert nll[1] < nll[0] and ece[1] < ece[0]  # settings chosen so that it shows
    assert f"reliability diagram written to {png}" in run.stdout
    _assert_png(png)


def test_demo_without_matplotlib_still_succeeds(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import now fails
    monkeypatch.chdir(tmp_path)
    assert main(["demo", "--bins", "10"]) == 0
    out, err = capsys.readouterr()
    assert "matplotlib is not installed: no reliability diagram" in out
    assert "ECE (10 equal-width bins)" in out and err == ""
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("source", ["npy", "npz", "csv", "probabilities"])
def test_calibrate_matches_the_library(synthetic, runs, source):
    folder, logits, labels, _ = synthetic
    run = runs[source]
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    if source == "probabilities":
        reference = TemperatureScaler(input_type="probabilities")
        reference.fit(softmax(logits, axis=1), labels)
    else:
        reference = TemperatureScaler().fit(logits, labels)
    saved = joblib.load(folder / f"{source}.pkl")
    assert saved.temperature_ == pytest.approx(reference.temperature_, rel=1e-12)
    assert _printed_temperature(run.stdout) == round(reference.temperature_, 5)
    # The labels were drawn at T = 3. The standard error of the maximum-likelihood
    # T is T^2 / sqrt(n * mean_i Var_{p_i}[z_i]) (Fisher information of beta = 1/T
    # at the truth), about 0.044 here; a 4-sigma band fails by chance < 1e-4.
    p = softmax(logits / TRUE_T, axis=1)
    variance = (p * logits**2).sum(axis=1) - (p * logits).sum(axis=1) ** 2
    standard_error = TRUE_T**2 / np.sqrt(N_SAMPLES * variance.mean())
    assert abs(saved.temperature_ - TRUE_T) < 4 * standard_error
    assert "In-sample: measured on the same data T was fitted on" in run.stdout
    accuracy = _table_row(run.stdout, "accuracy")
    nll = _table_row(run.stdout, "NLL (log loss)")
    assert accuracy[0] == accuracy[1] and nll[1] < nll[0]
    _table_row(run.stdout, "ECE (15 equal-width bins)")


def test_calibrate_plot(synthetic, runs):
    assert "reliability diagram written to" in runs["npy"].stdout
    _assert_png(synthetic[0] / "npy.png")


@pytest.mark.parametrize("out", OUTPUTS)
def test_apply_round_trip(synthetic, runs, out):
    folder, logits, labels, new_logits = synthetic
    run = runs[out]
    assert run.returncode == 0, run.stderr
    assert run.stderr == "" and "calibrated 50 rows of logits" in run.stdout
    if out.endswith(".npy"):
        written = np.load(folder / out)
    else:
        written = np.loadtxt(folder / out, delimiter=",")
    expected = TemperatureScaler().fit(logits, labels).predict_proba(new_logits)
    assert_allclose(written, expected, rtol=0, atol=1e-12)


@pytest.mark.skipif(not DENSENET.exists(), reason=f"{DENSENET} is not available")
def test_calibrate_densenet_reference(runs):
    run = runs["densenet"]
    assert run.returncode == 0, run.stderr
    T = _printed_temperature(run.stdout)
    assert f"{T:.5g}" == f"{2.88256:.5g}"  # data/README.md: T* = 2.88256
    assert _table_row(run.stdout, "NLL (log loss)")[1] == 0.1866  # README: 0.18661


@pytest.mark.parametrize(
    "case, code, message",
    [
        ("no command", 2, "skmax: error: a command is required"),
        ("missing file", 1, "skmax: error: SCORES file not found: nowhere.npy"),
    ],
)
def test_exit_codes_of_the_process(runs, case, code, message):
    run = runs[case]
    assert run.returncode == code
    assert message in run.stderr and "Traceback" not in run.stderr
    assert run.stdout == ""


# ------------------------------------------------------------- help, version


def _exit_output(arguments, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(arguments)
    assert exit_info.value.code == 0
    return capsys.readouterr().out


def test_help_and_version(capsys):
    out = _exit_output(["--help"], capsys)
    for text in ("demo", "calibrate", "apply", "FILE.npz:NAME", "exit status"):
        assert text in out
    assert _exit_output(["--version"], capsys).strip() == f"skmax {__version__}"


@pytest.mark.parametrize("command", ["demo", "calibrate", "apply"])
def test_command_help(command, capsys):
    out = _exit_output([command, "--help"], capsys)
    assert "exit status" in out and "skmax: error:" in out
    if command != "apply":
        assert "--bins N" in out and "equal-width" in out
    if command != "demo":
        assert "SCORES" in out and "FILE.npz:NAME" in out
    if command == "calibrate":
        assert "--probabilities" in out and "pickle" in out


# ----------------------------------------------------------------- error cases


@pytest.fixture(scope="module")
def bad_files(synthetic):
    folder, logits, labels, _ = synthetic
    (folder / "garbage.npy").write_bytes(b"this is not an array")
    (folder / "garbage.npz").write_bytes(b"PK this is not a zip archive")
    (folder / "garbage.pkl").write_bytes(b"not a pickle")
    np.save(folder / "short_labels.npy", labels[:-1])
    np.save(folder / "label_too_big.npy", np.where(labels == 0, N_CLASSES, labels))
    np.save(folder / "negative_label.npy", np.where(labels == 0, -1, labels))
    np.save(folder / "fractional_labels.npy", labels + 0.5)
    np.save(folder / "string_labels.npy", labels.astype(str))
    np.save(folder / "two_column_labels.npy", np.column_stack([labels, labels]))
    not_normalised = np.full_like(logits, 0.1)  # in [0, 1], rows sum to 0.5
    np.save(folder / "not_normalised.npy", not_normalised)
    with_nan = logits.copy()
    with_nan[3, 1] = np.nan
    np.save(folder / "nan.npy", with_nan)
    np.save(folder / "three_columns.npy", logits[:, :3])
    joblib.dump({"not": "a scaler"}, folder / "dict.pkl")
    (folder / "text.csv").write_text("a,b\n1,2\n3,x\n")
    (folder / "ragged.csv").write_text("1,2\n3\n")
    (folder / "header_only.csv").write_text("a,b\n")
    model = TemperatureScaler().fit(logits, labels)
    joblib.dump(model, folder / "model.pkl")
    return folder


def _calibrate(scores="logits.npy", labels="labels.npy", *options):
    return ["calibrate", scores, labels, *options]


ERROR_CASES = {  # id: (arguments, exit code, words the message must contain)
    "file missing": (_calibrate("missing.npy"), 1, ["SCORES file not found"]),
    "labels missing": (_calibrate(labels="gone.csv"), 1, ["LABELS file not found"]),
    "not a .npy": (_calibrate("garbage.npy"), 1, ["cannot read SCORES"]),
    "not a .npz": (_calibrate("garbage.npz:a"), 1, ["cannot read SCORES"]),
    "array not in .npz": (
        _calibrate("data.npz:logits"), 1,
        ["no array 'logits'", "val_logits, val_labels, other"],
    ),
    ".npz needs a name": (
        _calibrate("data.npz"), 1, ["val_logits, val_labels, other", "NAME"]
    ),
    "unknown file type": (_calibrate("scores.txt"), 2, ["not a .npy, .npz or .csv"]),
    "rows differ": (
        _calibrate(labels="short_labels.npy"), 1, ["10000 rows", "(9999,)"]
    ),
    "label >= columns": (
        _calibrate(labels="label_too_big.npy"), 1, ["0 .. 4", "[5]"]
    ),
    "negative label": (_calibrate(labels="negative_label.npy"), 1, ["[-1]"]),
    "fractional labels": (_calibrate(labels="fractional_labels.npy"), 1, ["0.5"]),
    "string labels": (_calibrate(labels="string_labels.npy"), 1, ["class indices"]),
    "labels not a column": (
        _calibrate(labels="two_column_labels.npy"), 1, ["one column", "(10000, 2)"]
    ),
    "probabilities do not sum to 1": (
        _calibrate("not_normalised.npy", "labels.npy", "--probabilities"), 1,
        ["declared as probabilities", "sums to 0.5"],
    ),
    "logits as probabilities": (
        _calibrate("logits.npy", "labels.npy", "--probabilities"), 1,
        ["outside [0, 1]"],
    ),
    "NaN in scores": (_calibrate("nan.npy"), 1, ["NaN"]),
    "non-numeric CSV": (
        _calibrate("text.csv"), 1, ["not a numeric CSV", "line 3"]
    ),
    "ragged CSV": (_calibrate("ragged.csv"), 1, ["not a numeric CSV"]),
    "CSV without numbers": (_calibrate("header_only.csv"), 1, ["no rows"]),
    "bins not a number": (_calibrate("logits.npy", "labels.npy", "--bins", "x"), 2,
                          ["--bins", "integer >= 1"]),
    "plot to a missing folder": (
        _calibrate("logits.npy", "labels.npy", "--plot", "no/such/dir/p.png"), 1,
        ["no/such/dir/p.png"],
    ),
    "save to a missing folder": (
        _calibrate("logits.npy", "labels.npy", "--save", "no/such/dir/m.pkl"), 1,
        ["no/such/dir/m.pkl"],
    ),
    "unknown command": (["fit"], 2, ["invalid choice: 'fit'"]),
    "apply without --out": (["apply", "model.pkl", "new.npy"], 2, ["--out"]),
    "apply to a .txt": (
        ["apply", "model.pkl", "new.npy", "--out", "p.txt"], 2, [".npy or .csv"]
    ),
    "model missing": (
        ["apply", "none.pkl", "new.npy", "--out", "p.npy"], 1, ["MODEL file not found"]
    ),
    "model not a pickle": (
        ["apply", "garbage.pkl", "new.npy", "--out", "p.npy"], 1, ["cannot load"]
    ),
    "model not a scaler": (
        ["apply", "dict.pkl", "new.npy", "--out", "p.npy"], 1, ["does not hold"]
    ),
    "apply to other columns": (
        ["apply", "model.pkl", "three_columns.npy", "--out", "p.npy"], 1,
        ["3 columns", "fitted on 5"],
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", ERROR_CASES)
def test_error_cases(case, bad_files, capsys, monkeypatch):
    arguments, code, words = ERROR_CASES[case]
    monkeypatch.chdir(bad_files)
    try:
        returned = main(arguments)
    except SystemExit as exit_:  # argparse's usage errors
        returned = exit_.code
    out, err = capsys.readouterr()
    assert returned == code
    assert err.count("skmax: error: ") == 1, err
    message = err.split("skmax: error: ")[1]
    for word in words:
        assert word in message
    assert "Traceback" not in err
    if "missing folder" not in case:  # those fail after the report
        assert "T = " not in out
    assert not (bad_files / "p.npy").exists()


def test_plot_needs_matplotlib(bad_files, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.chdir(bad_files)
    assert main(_calibrate("logits.npy", "labels.npy", "--plot", "p.png")) == 1
    assert "skmax: error: --plot needs matplotlib" in capsys.readouterr().err
    assert not (bad_files / "p.png").exists()


def test_npy_and_npz_swapped(bad_files, capsys, monkeypatch):
    monkeypatch.chdir(bad_files)
    (bad_files / "array.npz").write_bytes((bad_files / "logits.npy").read_bytes())
    (bad_files / "archive.npy").write_bytes((bad_files / "data.npz").read_bytes())
    for scores in ("array.npz", "archive.npy"):
        assert main(_calibrate(scores)) == 1
        assert "skmax: error:" in capsys.readouterr().err


def test_a_class_absent_from_the_labels(bad_files, capsys, monkeypatch):
    """The columns, not the labels present, define the classes (classes=0..k-1)."""
    monkeypatch.chdir(bad_files)
    logits, labels = np.load("logits.npy"), np.load("labels.npy")
    kept = labels != N_CLASSES - 1
    np.save("some_logits.npy", logits[kept])
    np.save("some_labels.npy", labels[kept])
    assert main(_calibrate("some_logits.npy", "some_labels.npy", "--bins", "5")) == 0
    out, err = capsys.readouterr()
    expected = TemperatureScaler(classes=np.arange(N_CLASSES))
    expected.fit(logits[kept], labels[kept])
    assert f"T = {expected.temperature_:.5f}" in out and err == ""
    assert "ECE (5 equal-width bins)" in out

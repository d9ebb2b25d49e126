"""The ``skmax`` command line: temperature scaling from the shell.

``skmax demo`` runs temperature scaling end to end on bundled data,
``skmax calibrate`` fits a temperature to saved scores and labels, and
``skmax apply`` uses a saved fit on new scores. Run ``skmax --help``.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import warnings
import zipfile
from pathlib import Path

import joblib
import numpy as np
from sklearn.datasets import load_digits
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmax import SoftmaxRegression, TemperatureScaler, __version__
from skmax._reliability_display import ReliabilityDisplay
from skmax._scores import as_logits
from skmax.metrics import expected_calibration_error
from skmax.special import log_softmax

_PICKLE = "The file is a pickle: load it only from sources you trust."
_FILES = """\
input files:
  SCORES and LABELS are read from .npy files, .npz archives (FILE.npz:NAME
  picks the array NAME, which may be left out when the archive holds only one)
  or .csv files (comma-separated numbers; a header row is detected and skipped).
  SCORES: n rows of logits (or, with --probabilities, probabilities), one
  column per class; or one column of binary decision values x, calibrated as
  sigmoid(x / T). LABELS: one column of n class indices 0 .. k-1, the column
  of SCORES of the true class (0 or 1 for one column of decision values).

exit status:
  0    success
  1    the data could not be read or used (missing or unreadable file, array
       not in the archive, shape mismatch, labels out of range, ...)
  2    usage error (unknown command or option, bad option value, no command)
  130  interrupted
Errors go to stderr as "skmax: error: ..."."""
_COMMANDS = {  # name: (summary, description)
    "demo": (
        "calibrate an overconfident model on bundled data",
        "Fit an overconfident SoftmaxRegression (C=100) to scikit-learn's digits,\n"
        "fit T on a calibration split, and compare accuracy, NLL and top-label ECE\n"
        "before and after on a test split. A few seconds; no network access.",
    ),
    "calibrate": (
        "fit a temperature to scores and labels",
        "Fit T by minimising the negative log-likelihood of LABELS under\n"
        "softmax(SCORES / T); print T and the accuracy, NLL and top-label ECE\n"
        "before (T = 1) and after, measured on the same data T was fitted on.",
    ),
    "apply": (
        "calibrate new scores with a saved scaler",
        "Write softmax(SCORES / T) with a scaler saved by `skmax calibrate --save`,\n"
        "for SCORES of the kind and number of columns it was fitted on.\n" + _PICKLE,
    ),
}
_EXAMPLES = """\
Temperature scaling: fit one temperature T so that softmax(scores / T) gives
calibrated probabilities, apply it to new scores, or watch a demonstration.

examples:
  skmax demo --plot demo.png
  skmax calibrate val.npz:logits val.npz:labels --save scaler.pkl --plot val.png
  skmax apply scaler.pkl test.npz:logits --out test_probabilities.npy"""


class DataError(Exception):
    """Bad input data or files: reported as ``skmax: error: ...``, exit code 1."""


class _Parser(argparse.ArgumentParser):
    """argparse, with usage errors prefixed ``skmax: error:`` (exit code 2)."""

    def error(self, message):
        self.print_usage(sys.stderr)
        command = self.prog.removeprefix("skmax").strip()
        self.exit(2, f"skmax: error: {command + ': ' if command else ''}{message}\n")


def _data_file(text):
    """argparse type: ``FILE.npy``, ``FILE.csv``, ``FILE.npz`` or ``FILE.npz:NAME``.

    Returns the path and the array name (None when not given).
    """
    split = text.lower().find(".npz:")
    path, name = (text, "") if split < 0 else (text[: split + 4], text[split + 5 :])
    if Path(path).suffix.lower() not in (".npy", ".npz", ".csv"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a .npy, .npz or .csv file")
    return Path(path), name or None


def _output_file(text):
    """argparse type: a ``.npy`` or ``.csv`` path to write."""
    if Path(text).suffix.lower() not in (".npy", ".csv"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a .npy or .csv file name")
    return Path(text)


def _positive_int(text):
    """argparse type: an integer >= 1."""
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text!r}")
    return int(text)


def _load(source, what):
    """The array in ``source = (path, name)``; any failure is a DataError."""
    path, name = source
    try:
        if path.suffix.lower() == ".csv":
            return _read_csv(path)
        if path.suffix.lower() == ".npz":
            return _read_npz(path, name)
        array = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise DataError(f"{what} file not found: {path}") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise DataError(f"cannot read {what} from {path}: {exc}") from None
    if not isinstance(array, np.ndarray):  # an .npz archive named .npy
        array.close()
        raise DataError(f"cannot read {what} from {path}: not a .npy array file")
    return array


def _read_npz(path, name):
    archive = np.load(path, allow_pickle=False)
    if isinstance(archive, np.ndarray):  # a .npy array named .npz
        raise DataError(f"{path} is a .npy array, not a .npz archive")
    with archive:
        names = ", ".join(archive.files) or "none"
        if name is None and len(archive.files) != 1:
            raise DataError(f"{path} holds arrays {names}: choose one as {path}:NAME")
        name = archive.files[0] if name is None else name
        if name not in archive.files:
            raise DataError(f"{path} has no array {name!r}; its arrays are: {names}")
        return archive[name]


def _is_numeric(fields):
    try:
        [float(field) for field in fields]
    except ValueError:
        return False
    return True


def _read_csv(path):
    """Comma-separated numbers as a 2-D float64 array, skipping a header row."""
    text = path.read_text(encoding="utf-8-sig").splitlines()
    lines = [(number, line) for number, line in enumerate(text, 1) if line.strip()]
    if lines and not _is_numeric(lines[0][1].split(",")):
        lines = lines[1:]  # a header row
    if not lines:
        raise DataError(f"{path} has no rows of numbers")
    try:
        return np.loadtxt([line for _, line in lines], delimiter=",", ndmin=2)
    except ValueError as exc:  # say where: loadtxt counts only the rows it reads
        bad = [n for n, line in lines if not _is_numeric(line.split(","))][:1]
        problem = f"line {bad[0]} is not all numbers" if bad else str(exc)
        raise DataError(f"{path} is not a numeric CSV file: {problem}") from None


def _check_scores(scores):
    """Scores as floats, and the number of classes they cover."""
    if scores.dtype.kind not in "biuf":
        raise DataError(f"SCORES must be numbers, got an array of {scores.dtype}")
    if scores.ndim not in (1, 2) or scores.size == 0:
        raise DataError(
            "SCORES must be 1-D (binary decision values) or 2-D (one column per "
            f"class) and not empty, got shape {scores.shape}"
        )
    if scores.dtype.kind != "f":
        scores = scores.astype(np.float64)
    return scores, 2 if scores.ndim == 1 or scores.shape[1] == 1 else scores.shape[1]


def _check_labels(labels, n_rows, n_classes):
    """Labels as int64 class indices ``0 .. n_classes-1``, one per row of scores."""
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.ndim != 1 or labels.shape[0] != n_rows:
        raise DataError(
            f"SCORES has {n_rows} rows, so LABELS must be one column of {n_rows} "
            f"labels, but its shape is {labels.shape}"
        )
    if labels.dtype.kind not in "biuf":
        bad = labels[:3]
    else:
        bad = labels[(labels % 1 != 0) | (labels < 0) | (labels >= n_classes)]
    if bad.size:
        raise DataError(
            f"LABELS must be class indices 0 .. {n_classes - 1} (the column of "
            "SCORES of the true class; 0 or 1 for one column), found "
            f"{np.unique(bad)[:5].tolist()}"
        )
    return labels.astype(np.int64)


@contextlib.contextmanager
def _warnings_to_stderr():
    """Show warnings (e.g. a ConvergenceWarning) as one ``skmax: warning:`` line."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for warning in caught:
        print(f"skmax: warning: {warning.message}", file=sys.stderr)


def _print_comparison(title, labels, log_probas, n_bins):
    """Accuracy, NLL and top-label ECE before and after calibration, as a table."""
    binning = f"ECE ({n_bins} equal-width bin{'s' if n_bins > 1 else ''})"
    columns = []
    for log_proba in log_probas:
        proba = np.exp(log_proba)
        classes = np.arange(proba.shape[1])
        columns.append(
            {
                "accuracy": np.mean(proba.argmax(axis=1) == labels),
                "NLL (log loss)": -log_proba[np.arange(labels.size), labels].mean(),
                binning: expected_calibration_error(
                    labels, proba, n_bins=n_bins, labels=classes
                ),
            }
        )
    width = max(len(title), len(binning) + 2)
    print(f"{title:<{width}}  {'before':>8}  {'after':>8}")
    for name, before in columns[0].items():
        print(f"  {name:<{width - 2}}  {before:8.4f}  {columns[1][name]:8.4f}")


def _temperature_line(T):
    if T > 1:
        return f"T = {T:.5f}  (> 1: the scores were overconfident and are softened)"
    return f"T = {T:.5f}  (<= 1: the scores were underconfident and are sharpened)"


def _pyplot():
    """``matplotlib.pyplot`` on the Agg backend, or None without matplotlib."""
    try:
        import matplotlib
    except ImportError:
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _plot(plt, path, labels, curves, n_bins, title):
    """Write one reliability diagram with a curve per ``(name, log_proba)``."""
    figure, ax = plt.subplots(figsize=(6.4, 6.4))
    try:
        for name, log_proba in curves:
            proba = np.exp(log_proba)
            classes = np.arange(proba.shape[1])
            ReliabilityDisplay.from_predictions(
                labels, proba, n_bins=n_bins, labels=classes, name=name, ax=ax
            )
        ax.set_title(title)
        figure.savefig(path, dpi=120)
    finally:
        plt.close(figure)
    print(f"reliability diagram written to {Path(path).resolve()}")


def _demo(args):
    """Calibrate an overconfident model on the digits data and report."""
    X, y = load_digits(return_X_y=True)
    split = {"train_size": 500, "random_state": 0}
    X_train, X_rest, y_train, y_rest = train_test_split(X, y, stratify=y, **split)
    X_cal, X_test, y_cal, y_test = train_test_split(
        X_rest, y_rest, stratify=y_rest, **split
    )
    with _warnings_to_stderr():
        model = make_pipeline(StandardScaler(), SoftmaxRegression(C=100))
        model.fit(X_train, y_train)
        scaler = TemperatureScaler(FrozenEstimator(model)).fit(X_cal, y_cal)
    T = scaler.temperature_
    print(
        f"skmax {__version__} demo: temperature scaling of an overconfident model\n\n"
        f"data         scikit-learn digits, {len(y)} 8x8 images of 10 digits\n"
        f"split        {len(y_train)} train / {len(y_cal)} calibration / "
        f"{len(y_test)} test (stratified, random_state=0)\n"
        "model        StandardScaler + SoftmaxRegression(C=100), weakly "
        "regularised\ncalibration  TemperatureScaler(FrozenEstimator(model)) "
        f"fitted on the calibration split\n\n{_temperature_line(T)}\n"
    )
    before, after = model.predict_log_proba(X_test), scaler.predict_log_proba(X_test)
    title = f"test split ({len(y_test)} images)"
    _print_comparison(title, y_test, (before, after), args.bins)
    plt = _pyplot()
    if plt is None:
        print("\nmatplotlib is not installed: no reliability diagram (skmax[plot])")
        return 0
    print()
    curves = [("before", before), (f"after, T = {T:.3f}", after)]
    _plot(plt, args.plot, y_test, curves, args.bins, "Digits, test split")
    return 0


def _calibrate(args):
    """Fit a temperature to saved scores and labels and report."""
    plt = _pyplot() if args.plot else None
    if args.plot and plt is None:
        raise DataError("--plot needs matplotlib, which is not installed")
    input_type = "probabilities" if args.probabilities else "logits"
    scores, n_classes = _check_scores(_load(args.scores, "SCORES"))
    labels = _check_labels(_load(args.labels, "LABELS"), len(scores), n_classes)
    logits = as_logits(scores, input_type, name="SCORES")
    log_before = logits if args.probabilities else log_softmax(logits, axis=1)
    scaler = TemperatureScaler(input_type=input_type, classes=np.arange(n_classes))
    with _warnings_to_stderr():
        scaler.fit(scores, labels)
    T, log_after = scaler.temperature_, scaler.predict_log_proba(scores)
    path, name = args.scores
    print(
        f"{input_type} of {len(labels)} samples, {n_classes} classes, from "
        f"{path}{':' + name if name else ''}\n{_temperature_line(T)}\n\n"
        "In-sample: measured on the same data T was fitted on (held-out data "
        "give a fairer picture)."
    )
    title = f"{len(labels)} samples"
    _print_comparison(title, labels, (log_before, log_after), args.bins)
    if args.save:
        joblib.dump(scaler, args.save)
        print(f"\nscaler saved to {args.save} (a pickle: load only if trusted)")
    if plt is not None:
        title = f"{path.name}, in-sample (T = {T:.3f})"
        curves = [("before", log_before), ("after", log_after)]
        _plot(plt, args.plot, labels, curves, args.bins, title)
    return 0


def _load_scaler(path):
    try:
        scaler = joblib.load(path)
    except FileNotFoundError:
        raise DataError(f"MODEL file not found: {path}") from None
    except Exception as exc:  # unpickling can fail in any way
        raise DataError(f"cannot load MODEL from {path}: {exc}") from None
    fitted = isinstance(scaler, TemperatureScaler) and hasattr(scaler, "temperature_")
    if not fitted or scaler.estimator is not None:
        raise DataError(f"{path} does not hold a scaler saved by `skmax calibrate`")
    return scaler


def _apply(args):
    """Write calibrated probabilities for new scores with a saved scaler."""
    scaler = _load_scaler(args.model)
    scores, _ = _check_scores(_load(args.scores, "SCORES"))
    with _warnings_to_stderr():
        proba = scaler.predict_proba(scores)
    if args.out.suffix.lower() == ".npy":
        np.save(args.out, proba)
    else:
        np.savetxt(args.out, proba, delimiter=",", fmt="%.17g")
    print(
        f"calibrated {proba.shape[0]} rows of {scaler.input_type} with "
        f"T = {scaler.temperature_:.5f} ({proba.shape[1]} classes) -> {args.out}"
    )
    return 0


def build_parser():
    """The ``skmax`` argument parser.

    Returns
    -------
    parser : argparse.ArgumentParser
        Parser with the ``demo``, ``calibrate`` and ``apply`` commands.
    """
    raw = argparse.RawDescriptionHelpFormatter  # keep the texts' line breaks
    parser = _Parser(prog="skmax", description=_EXAMPLES, epilog=_FILES)
    parser.formatter_class = raw
    parser.add_argument("--version", action="version", version=f"skmax {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub = {}
    for name, (summary, description) in _COMMANDS.items():
        sub[name] = commands.add_parser(name, help=summary, description=description)
        sub[name].formatter_class, sub[name].epilog = raw, _FILES
    sub["demo"].set_defaults(handler=_demo)
    sub["calibrate"].set_defaults(handler=_calibrate)
    sub["apply"].set_defaults(handler=_apply)
    bins = {"type": _positive_int, "default": 15, "metavar": "N"}
    bins["help"] = "equal-width confidence bins of the ECE and plot (default 15)"

    add = sub["demo"].add_argument
    add(
        "--plot",
        default="skmax-demo-reliability.png",
        metavar="PATH",
        help="reliability diagram to write (default %(default)s; needs matplotlib)",
    )
    add("--bins", **bins)

    add = sub["calibrate"].add_argument
    add("scores", type=_data_file, metavar="SCORES", help="logits or probabilities")
    add("labels", type=_data_file, metavar="LABELS", help="class indices 0 .. k-1")
    add("--probabilities", action="store_true", help="SCORES are probabilities")
    add("--bins", **bins)
    add("--plot", metavar="PATH", help="write a reliability diagram (matplotlib)")
    add("--save", metavar="PATH", help=f"save the scaler for `apply`. {_PICKLE}")

    add = sub["apply"].add_argument
    add("model", metavar="MODEL", help="a scaler written by `calibrate --save`")
    add("scores", type=_data_file, metavar="SCORES", help="the scores to calibrate")
    add(
        "--out",
        type=_output_file,
        required=True,
        metavar="PATH",
        help="where to write the probabilities: .npy or .csv",
    )
    return parser


def main(argv=None):
    """Run the command line.

    Parameters
    ----------
    argv : list of str, default=None
        The arguments; ``sys.argv[1:]`` when None.

    Returns
    -------
    int
        The exit status: 0 success, 1 data or runtime error, 2 no command.
        Other usage errors exit with 2 through argparse's ``SystemExit``.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        print("\nskmax: error: a command is required", file=sys.stderr)
        return 2
    try:
        return args.handler(args)
    except (DataError, ValueError, OSError) as exc:
        print(f"skmax: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("skmax: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

"""Data for the course: MNIST from the shipped file, synthetic linear data.

Nothing here downloads anything: MNIST ships with the course as data/mnist.npz (see
data/README.md for where it comes from and how to rebuild it).
"""
from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import numpy as np

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
MNIST_FILE = DATA_DIR / "mnist.npz"
MNIST_SHA256 = "99b6212d8b734503d7fa2e29ea6413bad62226998e56555f4a6b0b30072f1aec"
_MNIST_SHAPES = {
    "x_train": ((60000, 28, 28), np.uint8),
    "y_train": ((60000,), np.uint8),
    "x_test": ((10000, 28, 28), np.uint8),
    "y_test": ((10000,), np.uint8),
}
_RESTORE = (
    "Restore it from the repository with `git checkout -- data/mnist.npz` "
    "(or rebuild it offline with tools/build_mnist.py, see data/README.md)."
)


class DataFileError(ValueError):
    """A course data file is present but damaged (wrong checksum or contents)."""


def sha256_of(path: Path | str) -> str:
    """The sha256 hex digest of a file, read in chunks.

    Introduced in 03_custom_training_loop.
    """
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def load_mnist(path: Path | str | None = None, verify: bool = True):
    """Load MNIST from the course's data/mnist.npz, offline.

    Returns ``(x_train, y_train), (x_test, y_test)`` exactly like
    ``keras.datasets.mnist.load_data()``: uint8 images 60000x28x28 and 10000x28x28 with
    pixels 0-255, uint8 labels 0-9. The file's sha256 is checked first (``verify=False``
    skips that, for a file you rebuilt yourself); it is read with ``allow_pickle=False``.

    Introduced in 03_custom_training_loop.
    """
    path = Path(path) if path is not None else MNIST_FILE
    if not path.is_file():
        raise FileNotFoundError(f"The MNIST data file {path} is missing. {_RESTORE}")
    if verify:
        actual = sha256_of(path)
        if actual != MNIST_SHA256:
            raise DataFileError(
                f"The MNIST data file {path} is corrupted or not the course's file: its sha256 is "
                f"{actual}, expected {MNIST_SHA256}. {_RESTORE}"
            )
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in _MNIST_SHAPES}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        raise DataFileError(
            f"The MNIST data file {path} cannot be read ({exc}). {_RESTORE}"
        ) from exc
    for name, (shape, dtype) in _MNIST_SHAPES.items():
        if arrays[name].shape != shape or arrays[name].dtype != dtype:
            raise DataFileError(
                f"The MNIST data file {path} has {name} of shape {arrays[name].shape} and dtype "
                f"{arrays[name].dtype}, expected {shape} {np.dtype(dtype)}. {_RESTORE}"
            )
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def flatten_and_scale(images: np.ndarray) -> np.ndarray:
    """MNIST images (n, 28, 28) uint8 -> float32 (n, 784) in [0, 1], as notebook 03 does by hand.

    Introduced in 04_overriding_train_step.
    """
    images = np.asarray(images)
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise ValueError(
            f"expected images of shape (n, 28, 28), got {images.shape}; "
            "pass x_train or x_test from load_mnist()"
        )
    return (images.reshape(len(images), 28 * 28) / 255.0).astype(np.float32)


def make_linear_data(
    n: int = 1000,
    true_w: float = 3.0,
    true_b: float = 2.0,
    noise_std: float = 1.0,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Synthetic data for linear regression: ``y = true_w * x + true_b + noise``.

    ``x`` and the noise are drawn from normal distributions (noise with standard deviation
    ``noise_std``) by a NumPy generator seeded with ``seed``. Returns float32 arrays
    ``x`` and ``y`` of shape ``(n,)``.

    Introduced in 02_linear_regression.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"n must be an integer of at least 2 (the number of examples), got {n!r}")
    for name, value in (("true_w", true_w), ("true_b", true_b), ("noise_std", noise_std)):
        if not np.isfinite(value):
            raise ValueError(f"{name} must be a finite number, got {value!r}")
    if noise_std < 0:
        raise ValueError(
            f"noise_std is a standard deviation and cannot be negative, got {noise_std}"
        )
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    noise = rng.normal(scale=noise_std, size=n) if noise_std > 0 else np.zeros(n)
    y = true_w * x + true_b + noise
    return x.astype(np.float32), y.astype(np.float32)

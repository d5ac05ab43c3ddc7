"""The shipped MNIST file: the facts the course relies on, and clear errors when it is damaged."""
import shutil

import numpy as np
import pytest

from helpers import data

TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.fixture(scope="module")
def mnist():
    return data.load_mnist()


def test_same_structure_as_keras_load_data(mnist):
    (x_train, y_train), (x_test, y_test) = mnist
    assert x_train.shape == (60000, 28, 28) and x_train.dtype == np.uint8
    assert y_train.shape == (60000,) and y_train.dtype == np.uint8
    assert x_test.shape == (10000, 28, 28) and x_test.dtype == np.uint8
    assert y_test.shape == (10000,) and y_test.dtype == np.uint8


def test_label_counts(mnist):
    (_, y_train), (_, y_test) = mnist
    assert np.bincount(y_train, minlength=10).tolist() == TRAIN_COUNTS
    assert np.bincount(y_test, minlength=10).tolist() == TEST_COUNTS


def test_first_labels_and_pixel_range(mnist):
    (x_train, y_train), (x_test, _) = mnist
    assert y_train[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert x_train.min() == 0 and x_train.max() == 255
    assert x_test.min() == 0 and x_test.max() == 255


def test_checksum_matches_data_readme():
    readme = (data.DATA_DIR / "README.md").read_text()
    assert data.MNIST_SHA256 in readme
    assert data.sha256_of(data.MNIST_FILE) == data.MNIST_SHA256


def test_missing_file_names_it_and_says_how_to_restore(tmp_path):
    missing = tmp_path / "mnist.npz"
    with pytest.raises(FileNotFoundError, match="mnist.npz is missing") as info:
        data.load_mnist(missing)
    assert "git checkout -- data/mnist.npz" in str(info.value)


def test_corrupted_copy_fails_the_checksum(tmp_path):
    copy = tmp_path / "mnist.npz"
    shutil.copy(data.MNIST_FILE, copy)
    raw = bytearray(copy.read_bytes())
    raw[len(raw) // 2] ^= 0xFF  # flip one byte in the middle of the file
    copy.write_bytes(bytes(raw))
    with pytest.raises(data.DataFileError, match="corrupted") as info:
        data.load_mnist(copy)
    message = str(info.value)
    assert str(copy) in message and "sha256" in message and "git checkout" in message


def test_truncated_file_is_reported_even_without_checksum(tmp_path):
    copy = tmp_path / "mnist.npz"
    copy.write_bytes(data.MNIST_FILE.read_bytes()[:1000])
    with pytest.raises(data.DataFileError, match="cannot be read"):
        data.load_mnist(copy, verify=False)


def test_no_pickles_are_loaded(monkeypatch):
    calls = []
    real_load = np.load

    def spy(*args, **kwargs):
        calls.append(kwargs.get("allow_pickle"))
        return real_load(*args, **kwargs)

    monkeypatch.setattr(np, "load", spy)
    data.load_mnist()
    assert calls == [False]


def test_flatten_and_scale():
    images = np.full((2, 28, 28), 255, dtype=np.uint8)
    flat = data.flatten_and_scale(images)
    assert flat.shape == (2, 784) and flat.dtype == np.float32
    np.testing.assert_allclose(flat, 1.0)
    with pytest.raises(ValueError, match=r"\(n, 28, 28\)"):
        data.flatten_and_scale(np.zeros((2, 784)))


def test_linear_data_follows_the_true_line():
    x, y = data.make_linear_data(n=20000, true_w=3.0, true_b=2.0, noise_std=0.5, seed=1)
    assert x.dtype == np.float32 and y.shape == (20000,)
    w, b = np.polyfit(x, y, 1)
    assert abs(w - 3.0) < 0.02 and abs(b - 2.0) < 0.02
    assert abs(np.std(y - (3.0 * x + 2.0)) - 0.5) < 0.02


def test_linear_data_is_reproducible_and_seed_dependent():
    a = data.make_linear_data(n=50, seed=3)
    b = data.make_linear_data(n=50, seed=3)
    c = data.make_linear_data(n=50, seed=4)
    (xa, ya), (xb, yb), (xc, yc) = a, b, c
    np.testing.assert_array_equal(xa, xb)
    np.testing.assert_array_equal(ya, yb)
    assert not np.array_equal(xa, xc) and not np.array_equal(ya, yc)


@pytest.mark.parametrize("kwargs, match", [
    ({"n": 1}, "at least 2"),
    ({"n": 2.5}, "integer"),
    ({"noise_std": -1.0}, "cannot be negative"),
    ({"true_w": float("nan")}, "finite"),
])
def test_linear_data_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        data.make_linear_data(**kwargs)

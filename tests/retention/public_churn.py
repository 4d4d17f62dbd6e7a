"""Public churn data sets for the tests: those of R's `modeldata` package, taken from Debian's
r-cran-modeldata (the .deb alone, fetched with `apt-get download` and unpacked with
`dpkg-deb`: no R needed) and read with the `rdata` parser.

`mlc_churn`: 5,000 customers of a subscription service (the MLC++ churn data set, also in
R's C50): account length, usage (minutes and calls by time of day, voice-mail messages),
support (customer service calls), plans and state, and whether they churned (14%).

R keeps a package's data sets in a lazy-load database: `Rdata.rdx` (a gzipped serialized
index: name -> offset and length in `Rdata.rdb`) and `Rdata.rdb` (each object serialized and
compressed on its own; compression 3, what R uses for package data, is a 4-byte big-endian
length, a type byte, then a raw LZMA2 stream for type "Z").
"""

from __future__ import annotations

import lzma
import os
import shutil
import struct
import subprocess
import tempfile
import warnings
from pathlib import Path

import pandas as pd
import pytest
import rdata

PACKAGE = "r-cran-modeldata"
DATA = "usr/lib/R/site-library/modeldata/data"


def _cache() -> Path:
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return root / "tenure-tests" / PACKAGE


def _fetch(cache: Path) -> None:
    """Download and unpack the package's data files into `cache`, whole or not at all."""
    if shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
        pytest.skip(f"the public churn data set comes from Debian's {PACKAGE}: no apt-get here")
    with tempfile.TemporaryDirectory() as work:
        fetched = subprocess.run(
            ["apt-get", "download", PACKAGE], cwd=work, capture_output=True, text=True
        )
        debs = list(Path(work).glob(f"{PACKAGE}_*.deb"))
        if fetched.returncode != 0 or not debs:
            pytest.skip(f"could not download Debian's {PACKAGE}: {fetched.stderr.strip()[-300:]}")
        subprocess.run(["dpkg-deb", "-x", str(debs[0]), f"{work}/x"], check=True)
        unpacked = Path(work) / "partial"
        shutil.copytree(Path(work) / "x" / DATA, unpacked)
        cache.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(unpacked, cache)  # a parallel test run may have got there first
        except OSError:
            if not (cache / "Rdata.rdb").exists():
                raise


def modeldata(name: str) -> pd.DataFrame:
    """One data set of R's modeldata package as a data frame (factors as categoricals)."""
    cache = _cache()
    if not (cache / "Rdata.rdb").exists():
        _fetch(cache)
    with warnings.catch_warnings():  # the index is an RDS file without the .rds ending
        warnings.simplefilter("ignore")
        index = rdata.conversion.convert(rdata.parser.parse_file(cache / "Rdata.rdx"))
        return _read(cache, index, name)


def _read(cache: Path, index: dict, name: str) -> pd.DataFrame:
    offset, length = (int(v) for v in index["variables"][name])
    with open(cache / "Rdata.rdb", "rb") as handle:
        handle.seek(offset)
        record = handle.read(length)
    size, kind = struct.unpack(">I", record[:4])[0], record[4:5]
    if kind != b"Z":
        raise ValueError(f"{name}: compression type {kind!r} in {cache}/Rdata.rdb, expected Z")
    lzma2 = [{"id": lzma.FILTER_LZMA2, "preset": 9 | lzma.PRESET_EXTREME}]
    raw = lzma.decompress(record[5:], format=lzma.FORMAT_RAW, filters=lzma2)
    if len(raw) != size:
        raise ValueError(f"{name}: {len(raw)} bytes unpacked, the record says {size}")
    frame = rdata.conversion.convert(rdata.parser.parse_data(raw))
    assert isinstance(frame, pd.DataFrame)
    return frame.reset_index(drop=True)

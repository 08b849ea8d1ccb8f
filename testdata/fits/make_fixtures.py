#!/usr/bin/python3
"""Writes small FITS fixtures with astropy, and expected.json with what astropy reads back.

Run from this folder with Debian's python3 (python3-astropy):
    /usr/bin/python3 make_fixtures.py [path/to/frame-r-002583-2-0136.fits.bz2]
The Go tests in fits/ read the fixtures and compare with expected.json. The frame path defaults
to ../../../shared/data/m2-sdss-2583-2-136/frame-r-002583-2-0136.fits.bz2; from it only a few
numbers (pixel sum and samples) are stored, for the test that reads the real frame.
"""
import bz2
import gzip
import json
import math
import sys

import numpy as np
from astropy.io import fits

W, H = 7, 5  # non-square, so a transposed read cannot pass
y, x = np.mgrid[0:H, 0:W]
base = (x + 10 * y).astype(np.int64)  # value encodes (x, y): data[y, x] = x + 10 y
expected = {}


def nan_to_none(a):
    return [None if (isinstance(v, float) and math.isnan(v)) else v for v in a]


def record(name, hdul_name, hdu=0):
    bitpix = fits.getheader(hdul_name, hdu)["BITPIX"]  # before astropy rescales the data
    with fits.open(hdul_name) as f:
        d = f[hdu].data
        expected[name] = {"width": int(d.shape[1]), "height": int(d.shape[0]),
                          "bitpix": int(bitpix),
                          "pix": nan_to_none(np.asarray(d, dtype=np.float64).ravel().tolist())}


images = {
    "bitpix8": (base + 3).astype(np.uint8),
    "bitpix16": (base * 300 - 9000).astype(np.int16),
    "bitpix32": (base * 70000 - 1234567).astype(np.int32),
    "bitpix64": (base * 3 - 50).astype(np.int64),  # small: float32 is exact on these
    "bitpixm32": (base * 0.25 - 3.5).astype(np.float32),
    "bitpixm64": (base * 0.125 + 1e-3).astype(np.float64),
    # astropy stores uint16 as BITPIX 16 with BZERO 32768
    "uint16": (base * 1000 + 100).astype(np.uint16),
}
for name, data in images.items():
    fits.PrimaryHDU(data).writeto(name + ".fits", overwrite=True)
    record(name, name + ".fits")

# Explicit BSCALE/BZERO on integers: stored = (physical - BZERO) / BSCALE.
h = fits.PrimaryHDU((base * 0.5 + 100).astype(np.float64))
h.scale("int16", bscale=0.5, bzero=100)
h.writeto("scaled16.fits", overwrite=True)
record("scaled16", "scaled16.fits")

# BLANK: integer pixels equal to BLANK are undefined (NaN).
d = (base * 2).astype(np.int16)
d[1, 2] = -32768
h = fits.PrimaryHDU(d)
h.header["BLANK"] = -32768
h.writeto("blank16.fits", overwrite=True)
expected["blank16"] = {"width": W, "height": H, "bitpix": 16,
                       "pix": nan_to_none([float("nan") if v == -32768 else float(v) for v in d.ravel()])}

# NaN in a float image.
d = (base * 1.5).astype(np.float32)
d[4, 6] = np.nan
fits.PrimaryHDU(d).writeto("nan32.fits", overwrite=True)
record("nan32", "nan32.fits")

# A multi-extension file: primary image, image extension, binary table.
n = 6
cols = [
    fits.Column(name="x", format="D", unit="pix", array=np.arange(n) * 1.5 + 0.25),
    fits.Column(name="y", format="E", array=np.arange(n, dtype=np.float32) * -2.5),
    fits.Column(name="id", format="J", array=np.arange(n, dtype=np.int32) * 100000 - 7),
    fits.Column(name="big", format="K", array=np.arange(n, dtype=np.int64) * 10**15 + 3),
    fits.Column(name="short", format="I", array=np.arange(n, dtype=np.int16) - 3),
    fits.Column(name="byte", format="B", array=np.arange(n, dtype=np.uint8) * 40),
    fits.Column(name="flag", format="L", array=np.arange(n) % 2 == 0),
    fits.Column(name="name", format="8A", array=np.array(["a", "bb", "ccc", "", "star 5", "12345678"])),
    fits.Column(name="stamp", format="6E", dim="(3,2)",
                array=(np.arange(n * 6, dtype=np.float32).reshape(n, 2, 3) * 0.5)),
    fits.Column(name="vla", format="PE()",
                array=np.array([np.arange(k, dtype=np.float32) + 0.5 * k for k in range(n)], dtype=object)),
    fits.Column(name="vlai", format="PI()",
                array=np.array([np.arange(2 * k, dtype=np.int16) - k for k in range(n)], dtype=object)),
    fits.Column(name="u16", format="I", bzero=32768, array=np.arange(n, dtype=np.uint16) * 10000),
    # Raw values; TSCAL/TZERO are added to the header after writing (astropy cannot scale
    # this column back on write).
    fits.Column(name="scaled", format="I", array=np.arange(n, dtype=np.int16) * 25),
    fits.Column(name="withnull", format="J", null=-999, array=np.array([1, -999, 3, 4, -999, 6], dtype=np.int32)),
]
table = fits.BinTableHDU.from_columns(cols, name="CAT")
prim = fits.PrimaryHDU(images["bitpixm32"])
prim.header["GAIN"] = (4.62, "e-/ADU")
prim.header["OBSERVER"] = "O'Brien"
prim.header["FLAG"] = True
prim.header["CRVAL1"] = 323.342792226123456
prim.header["LONGSTR"] = "x" * 68
# CONTINUE cards. No quotes: astropy 5.2.1 mangles '' in long strings (#14581, fixed in 5.2.2).
prim.header["LONGER"] = "a long path /" + "abcdefghij/" * 12
prim.header.add_history("made by make_fixtures.py")
ext = fits.ImageHDU(images["bitpix16"], name="SECOND")
fits.HDUList([prim, ext, table]).writeto("multi.fits", overwrite=True)
fits.setval("multi.fits", "TSCAL13", value=0.01, ext=2)
fits.setval("multi.fits", "TZERO13", value=5.0, ext=2)
with fits.open("multi.fits") as f:
    t = f[2].data
    expected["multi"] = {
        # as astropy reads them back from the file
        "header": {k: f[0].header[k] for k in ["GAIN", "OBSERVER", "FLAG", "CRVAL1", "LONGSTR", "LONGER"]},
        "columns": {
            "x": t["x"].tolist(), "y": [float(v) for v in t["y"]], "id": t["id"].tolist(),
            "big": t["big"].tolist(), "short": t["short"].tolist(), "byte": t["byte"].tolist(),
            "flag": t["flag"].tolist(), "name": t["name"].tolist(),
            "stamp": np.asarray(t["stamp"], dtype=np.float64).ravel().tolist(),
            "vla": [np.asarray(v, dtype=np.float64).tolist() for v in t["vla"]],
            "vlai": [np.asarray(v, dtype=np.float64).tolist() for v in t["vlai"]],
            "u16": t["u16"].astype(np.int64).tolist(),
            "scaled": t["scaled"].tolist(),
            "withnull": t["withnull"].tolist(),
        },
        "stamp_dim": [3, 2],
    }

# Compressed copies: by magic, whatever the name.
raw = open("multi.fits", "rb").read()
open("multi.fits.gz", "wb").write(gzip.compress(raw, mtime=0))
open("multi.fits.bz2", "wb").write(bz2.compress(raw))
open("multi-gzip-named-plain.fits", "wb").write(gzip.compress(raw, mtime=0))

# A few numbers astropy reads from the real SDSS r frame (the frame itself is never copied here).
frame = sys.argv[1] if len(sys.argv) > 1 else \
    "../../../shared/data/m2-sdss-2583-2-136/frame-r-002583-2-0136.fits.bz2"
with fits.open(frame) as f:
    d, sky = f[0].data, f[2].data
    expected["sdss_frame"] = {
        "sum": float(np.sum(d, dtype=np.float64)),
        "p": [float(d[630, 310]), float(d[0, 2047]), float(d[1488, 0])],
        "calib": [float(f[1].data[0]), float(f[1].data[2047])],
        "allsky": [float(sky["ALLSKY"][0][0, 0]), float(sky["ALLSKY"][0][191, 255]),
                   float(sky["ALLSKY"][0][10, 20])],
    }

# The r-band KL PSF basis of psField (variable-length RROWS) and the r fpM INTERP plane (span
# bytes in the heap): sums and samples as astropy reads them.
data_dir = frame.rsplit("/", 1)[0] + "/"
with fits.open(data_dir + "psField-002583-2-0136.fit") as f:
    rr = f[3].data["RROWS"]
    expected["sdss_psfield_r"] = {"row_sums": [float(np.sum(r, dtype=np.float64)) for r in rr],
                                  "sample": [float(rr[0][1300]), float(rr[3][1300])]}
with fits.open(data_dir + "fpM-002583-r2-0136.fit.gz") as f:
    t = f[1].data
    expected["sdss_fpm_r1"] = {"span_byte_sum": int(sum(int(np.sum(np.asarray(v, dtype=np.int64))) for v in t["s"])),
                               "first": [int(v) for v in t["s"][0][:12]]}

with open("expected.json", "w") as f:
    json.dump(expected, f, indent=0, sort_keys=True)
    f.write("\n")

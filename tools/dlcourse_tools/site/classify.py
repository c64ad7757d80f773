"""The classify page: the site's model (dlcourse.deploy) run in the reader's browser by onnxruntime-web.

ONNX Runtime's files come from the npm registry before the build (`make vendor`), never a CDN; the page
loads them itself, so no other page pays for them. One thread: a static host cannot send the
cross-origin-isolation headers that WebAssembly threads need.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
from pathlib import Path

import pandas as pd

ORT_DIST = Path(".cache/vendor/node_modules/onnxruntime-web/dist")  # under the course root; see the Makefile
ORT_NAMES = ["ort.wasm.min.js", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm"]
EXAMPLES_PER_CLASS = 2


def ort_files(root: Path) -> dict[str, Path]:
    """{site path: file} for ONNX Runtime Web's WebAssembly build."""
    dist = root / ORT_DIST
    if not (dist / ORT_NAMES[0]).exists():
        raise FileNotFoundError(f"onnxruntime-web is missing from {dist}: `make vendor` fetches it from npm")
    return {f"assets/ort/{name}": dist / name for name in ORT_NAMES}


def site_model(cache: Path) -> tuple[bytes, dict]:
    """The site model as ONNX bytes (exported once per weights file and torch version) and its record."""
    import torch

    from dlcourse.deploy import SITE_WEIGHTS, export_onnx, site_classifier

    model, record = site_classifier()
    key = hashlib.sha256(SITE_WEIGHTS.read_bytes() + torch.__version__.encode()).hexdigest()[:16]
    path = cache / f"site_classifier-{key}.onnx"
    if not path.exists():
        export_onnx(model, record["classes"], record["size"], path)
    return path.read_bytes(), record


def examples() -> dict[str, bytes]:
    """A few validation photos of each class, as PNG files the page offers to try."""
    from PIL import Image

    from dlcourse.deploy import site_validation_files

    files, labels = site_validation_files()
    out: dict[str, bytes] = {}
    for label in sorted(set(labels)):
        for file in [f for f, y in zip(files, labels, strict=True) if y == label][:EXAMPLES_PER_CLASS]:
            png = io.BytesIO()
            Image.open(file).save(png, format="PNG")
            out[file.name] = png.getvalue()
    return out


def page_assets(root: Path, cache: Path) -> dict[str, bytes]:
    """Every file the classify page loads beyond the site's own: {site path: content}."""
    model, record = site_model(cache)
    assets = {uri: path.read_bytes() for uri, path in ort_files(root).items()}
    assets["assets/classify/model.onnx"] = model
    info = {k: record[k] for k in ("classes", "size", "recipe", "validation_images", "validation_accuracy")}
    assets["assets/classify/model.json"] = json.dumps(info).encode()
    examples_made = examples()
    assets["assets/classify/examples.json"] = json.dumps(sorted(examples_made)).encode()
    for name, data in examples_made.items():
        assets[f"assets/classify/examples/{name}"] = data
    assets["assets/classify.js"] = (Path(__file__).parent / "static" / "classify.js").read_bytes()
    return assets


def transfer(assets: dict[str, bytes]) -> pd.DataFrame:
    """What the page downloads to classify: each script, the WebAssembly runtime and the model, in bytes
    as served and compressed with gzip (as most static hosts send them)."""
    parts = {
        "the page's script": ["assets/classify.js"],
        "ONNX Runtime's script": ["assets/ort/ort.wasm.min.js", "assets/ort/ort-wasm-simd-threaded.mjs"],
        "ONNX Runtime's WebAssembly": ["assets/ort/ort-wasm-simd-threaded.wasm"],
        "the model (ONNX) and its class names": ["assets/classify/model.onnx", "assets/classify/model.json"],
    }
    rows = [
        {
            "what": what,
            "bytes": sum(len(assets[u]) for u in uris),
            "gzip_bytes": sum(len(gzip.compress(assets[u], 9, mtime=0)) for u in uris),
        }
        for what, uris in parts.items()
    ]
    table = pd.DataFrame(rows)
    total = {"what": "total", "bytes": table.bytes.sum(), "gzip_bytes": table.gzip_bytes.sum()}
    return pd.concat([table, pd.DataFrame([total])], ignore_index=True)


def transfer_markdown(table: pd.DataFrame) -> str:
    rows = ["| What the page loads | As served | Compressed (gzip) |", "|---|---:|---:|"]
    for r in table.itertuples():
        name = f"**{r.what}**" if r.what == "total" else r.what
        rows.append(f"| {name} | {_size(r.bytes)} | {_size(r.gzip_bytes)} |")
    return "\n".join(rows)


def _size(n: int) -> str:
    return f"{n / 1e6:.2f} MB" if n >= 100_000 else f"{n / 1e3:.0f} KB"

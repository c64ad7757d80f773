"""Small matplotlib helpers the lessons call to show images, activation maps and training runs."""

from __future__ import annotations

import itertools
from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np


def show_images(
    images: Mapping[str, np.ndarray], ncols: int = 4, size: float = 3.0, cmap: str = "gray"
) -> plt.Figure:
    """Titled images side by side; (C, H, W) arrays are shown as RGB, 2-D ones with `cmap`."""
    nrows = -(-len(images) // ncols)
    ncols = min(ncols, len(images))
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, (title, img) in zip(axes.flat, images.items(), strict=False):
        img = np.asarray(img)
        if img.ndim == 3:
            ax.imshow(np.clip(img.transpose(1, 2, 0), 0, 1))
        else:
            ax.imshow(img, cmap=cmap)
        ax.set_title(title)
    fig.tight_layout()
    return fig


def show_grid(
    values: np.ndarray, title: str = "", ax: plt.Axes | None = None, fmt: str = "{:.2f}"
) -> plt.Axes:
    """A small 2-D array drawn as a grid of shaded cells with each number written in."""
    values = np.asarray(values, dtype=float)
    if ax is None:
        _, ax = plt.subplots(figsize=(0.6 * values.shape[1] + 1, 0.6 * values.shape[0] + 1))
    ax.imshow(values, cmap="coolwarm" if values.min() < 0 else "gray_r", alpha=0.6)
    for (i, j), v in np.ndenumerate(values):
        ax.text(j, i, fmt.format(v), ha="center", va="center", fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title)
    return ax


def plot_arms(result, metrics: tuple[str, ...] = ("valid_loss", "error_rate"), title: str = "") -> plt.Figure:
    """One panel per metric, one line per arm of an experiment (`dlcourse.experiments`), by epoch."""
    fig, axes = plt.subplots(1, len(metrics), figsize=(5 * len(metrics), 3.3), squeeze=False)
    for ax, metric in zip(axes.flat, metrics, strict=True):
        for arm, part in result.groupby("arm", sort=False):
            ax.plot(range(1, len(part) + 1), part[metric], "o-", label=arm)
        ax.set(xlabel="epoch", ylabel=metric.replace("_", " "))
        if metric == "error_rate":
            ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    axes.flat[-1].legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def show_kernels(kernels: np.ndarray, title: str = "", ncols: int = 8, size: float = 0.9) -> plt.Figure:
    """Each (C, kh, kw) kernel as a small picture: RGB for 3 channels, each scaled to its own range."""
    kernels = np.asarray(kernels, dtype=float)
    nrows = -(-len(kernels) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + 0.4), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, k in zip(axes.flat, kernels, strict=False):
        k = (k - k.min()) / (np.ptp(k) or 1)
        ax.imshow(k.transpose(1, 2, 0) if k.shape[0] == 3 else k[0], cmap="gray")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def show_cams(explained: list[dict], ncols: int = 4, size: float = 2.4) -> plt.Figure:
    """Images with their Grad-CAM maps over them (`dlcourse.cam.explain`), titled with the prediction."""
    nrows = -(-len(explained) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + 0.3), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, e in zip(axes.flat, explained, strict=False):
        h, w = e["cam"].shape
        ax.imshow(e["image"])
        ax.imshow(e["cam"], alpha=0.5, cmap="magma", extent=(-0.5, w - 0.5, h - 0.5, -0.5))
        ax.set_title(f"true: {e['label']}\nmap of {e['class']} ({e['probability']:.0%})", fontsize=9)
    fig.tight_layout()
    return fig


def show_maps(maps: Mapping[str, np.ndarray], per_layer: int = 8, size: float = 1.2) -> plt.Figure:
    """The first `per_layer` maps of each layer (`dlcourse.learned.activation_maps`), one row per layer."""
    fig, axes = plt.subplots(
        len(maps), per_layer, figsize=(size * per_layer, size * len(maps) + 0.2), squeeze=False
    )
    for row, (title, acts) in zip(axes, maps.items(), strict=True):
        for i, ax in enumerate(row):
            ax.imshow(acts[i], cmap="gray")
            ax.set_xticks([])
            ax.set_yticks([])
        row[0].set_ylabel(title.split(" (")[0], fontsize=9)
    fig.tight_layout()
    return fig


SPECIAL_COLOURS = {"Background": "#3a3a3a", "Void": "#e6e6e6"}  # the rest: matplotlib's tab10/tab20


def show_masks(
    rows: list[Mapping[str, np.ndarray]], codes: list[str], title: str = "", size: float = 2.2
) -> plt.Figure:
    """One row per scene, one titled panel per entry: 2-D integer arrays are masks, drawn with one colour
    per class of `codes` (a legend names them; Background dark, Void light grey), others are images."""
    from matplotlib.colors import BoundaryNorm, ListedColormap
    from matplotlib.patches import Patch

    many = plt.get_cmap("tab20").colors + plt.get_cmap("tab20b").colors  # CamVid has 32 classes
    palette = itertools.cycle(many if len(codes) > 10 else plt.get_cmap("tab10").colors)
    colours = [SPECIAL_COLOURS.get(code) or next(palette) for code in codes]
    cmap, norm = ListedColormap(colours), BoundaryNorm(np.arange(len(codes) + 1) - 0.5, len(codes))
    ncols = max(len(r) for r in rows)
    fig, axes = plt.subplots(
        len(rows), ncols, figsize=(size * ncols, size * len(rows) + 0.8), squeeze=False, layout="constrained"
    )
    for ax_row, row in zip(axes, rows, strict=True):
        for ax, (name, array) in zip(ax_row, row.items(), strict=False):
            array = np.asarray(array)
            if array.ndim == 2 and np.issubdtype(array.dtype, np.integer):
                ax.imshow(array, cmap=cmap, norm=norm, interpolation="nearest")
            else:
                ax.imshow(array, cmap="gray" if array.ndim == 2 else None)
            ax.set_title(name, fontsize=9)
        for ax in ax_row:
            ax.axis("off")
    handles = [
        Patch(facecolor=c, edgecolor="#888888", label=code) for c, code in zip(colours, codes, strict=True)
    ]
    fig.legend(
        handles=handles, loc="outside lower center", ncol=min(len(codes), 7), fontsize=8, frameon=False
    )
    if title:
        fig.suptitle(title)
    return fig


def plot_seeds(
    table, baseline: float | None = None, ylabel: str = "error (%)", title: str = ""
) -> plt.Figure:
    """One column per arm of a seed table (`dlcourse.experiments.seed_table`: seeds as rows), each seed a
    dot and the median a bar; `baseline`: a horizontal line, such as always answering the commonest label."""
    fig, ax = plt.subplots(figsize=(1.8 + 1.6 * len(table.columns), 3.2))
    for i, arm in enumerate(table.columns):
        values = table[arm].to_numpy()
        ax.scatter(np.full(len(values), i) + np.linspace(-0.12, 0.12, len(values)), values, s=22, zorder=3)
        ax.hlines(np.median(values), i - 0.25, i + 0.25, color="black", lw=1.5, zorder=4)
    if baseline is not None:
        ax.axhline(baseline, color="grey", ls="--", lw=1, label="always the commonest label")
        ax.legend(loc="lower right", fontsize=8)
    ax.set_xticks(range(len(table.columns)), [str(c) for c in table.columns], fontsize=8)
    ax.set(ylabel=ylabel, title=title, xlim=(-0.6, len(table.columns) - 0.4))
    fig.tight_layout()
    return fig

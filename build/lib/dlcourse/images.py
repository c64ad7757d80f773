"""Real photographs that ship with scikit-image, ready for convolution."""

from __future__ import annotations

import numpy as np


def photo(name: str = "chelsea", gray: bool = False) -> np.ndarray:
    """A scikit-image sample photo as floats in [0, 1]: (C, H, W), or (H, W) if `gray`."""
    from skimage import color, data

    loader = getattr(data, name, None)
    if loader is None:
        raise KeyError(f"scikit-image has no sample photo {name!r}; try 'chelsea', 'astronaut' or 'coffee'")
    rgb = np.asarray(loader(), dtype=np.float64) / 255.0
    if rgb.ndim == 2:
        return rgb if gray else np.stack([rgb] * 3)
    if gray:
        return color.rgb2gray(rgb[..., :3])
    return rgb[..., :3].transpose(2, 0, 1)

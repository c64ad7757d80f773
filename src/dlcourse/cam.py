"""Where the model looks: Grad-CAM maps, computed with fastai's hooks.

Take a layer whose maps still have a spatial layout. The gradient of one class's score with respect
to those maps says how much each map matters for that class; averaging it over the map gives one
weight per map. The weighted sum of the maps, with negative values cut (ReLU), is a coarse picture
of where the evidence for that class lies. Scaled up to the image size, it is drawn over the image.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from fastai.callback.hook import hook_output, hook_outputs
from torch import nn

MIN_MAP_SIZE = 7  # ResNet-34's last maps on a 224-pixel image are 7x7


def cam_layer(model: nn.Sequential, xb: torch.Tensor) -> nn.Module:
    """The deepest layer of the body (`model[0]`) whose maps are still at least 7×7 for inputs like `xb`."""
    layers = list(model[0].children())
    model.eval()
    with hook_outputs(layers) as hooks, torch.no_grad():
        model(xb[:1])
    sizes = [min(out.shape[-2:]) for out in hooks.stored]
    deep_enough = [layer for layer, size in zip(layers, sizes, strict=True) if size >= MIN_MAP_SIZE]
    return deep_enough[-1] if deep_enough else layers[0]


def grad_cam(
    model: nn.Sequential, xb: torch.Tensor, target: int, layer: nn.Module | None = None
) -> np.ndarray:
    """Grad-CAM map of class `target` for the first image of `xb`, at the image's height and width (≥ 0)."""
    layer = layer or cam_layer(model, xb)
    model.eval()
    x = xb[:1].detach().clone().requires_grad_(True)  # so the maps carry gradients even in a frozen body
    with hook_output(layer, detach=False) as hook:
        scores = model(x)
    maps = hook.stored
    (grads,) = torch.autograd.grad(scores[0, target], maps)
    weights = grads[0].mean(dim=(1, 2))
    cam = F.relu((weights[:, None, None] * maps[0]).sum(0))
    cam = F.interpolate(cam[None, None], size=tuple(xb.shape[-2:]), mode="bilinear", align_corners=False)
    return cam[0, 0].detach().float().cpu().numpy()


def explain(learn, items: list, target: int | None = None) -> list[dict]:
    """For each labelled file in `items`: the image as the model sees it (H, W, 3 in [0, 1]), its label,
    the Grad-CAM map of the predicted class (or of class `target`), that class and its probability."""
    dl = learn.dls.test_dl(items, with_labels=True, bs=len(items))  # one batch holds them all
    xb, yb = dl.one_batch()
    with torch.no_grad():
        probs = torch.softmax(learn.model.to(xb.device).eval()(xb).float(), dim=1)
    images = dl.decode((xb,))[0]
    layer = cam_layer(learn.model, xb)
    results = []
    for i, item in enumerate(items):
        cls = int(probs[i].argmax()) if target is None else target
        results.append(
            {
                "item": item,
                "image": images[i].permute(1, 2, 0).float().cpu().numpy() / 255,
                "label": learn.dls.vocab[int(yb[i])],
                "cam": grad_cam(learn.model, xb[i : i + 1], cls, layer),
                "class": learn.dls.vocab[cls],
                "probability": float(probs[i, cls]),
            }
        )
    return results

"""Import the fastai modules that add methods to `Learner` (fit_one_cycle, lr_find, fine_tune,
to_fp16, interpretation), as `from fastai.vision.all import *` would, without a star import."""

import fastai.callback.fp16  # noqa: F401  to_fp16, to_bf16
import fastai.callback.progress  # noqa: F401  progress bars
import fastai.callback.schedule  # noqa: F401  fit_one_cycle, fine_tune, lr_find
import fastai.interpret  # noqa: F401  ClassificationInterpretation

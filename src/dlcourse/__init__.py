"""dlcourse: the code behind the lessons of an open course on training convolutional networks."""

__version__ = "0.1.0"

import warnings as _warnings

# Raised by a dependency while fastai is imported; it tells a learner nothing they can act on.
_warnings.filterwarnings("ignore", message=r"`torch.jit.script` is deprecated", category=FutureWarning)

"""dlcourse: the code behind the lessons of an open course on training convolutional networks."""

import warnings as _warnings
from importlib.metadata import version as _version

__version__ = _version("dlcourse")  # declared once, in pyproject.toml

# Raised by a dependency while fastai is imported; it tells a learner nothing they can act on.
_warnings.filterwarnings("ignore", message=r"`torch.jit.script` is deprecated", category=FutureWarning)

# In a Jupyter kernel, every figure displayed from here on carries alt text (see dlcourse.alt_text).
from dlcourse.alt_text import register as _register_alt_text  # noqa: E402

_register_alt_text()

"""dlcourse: the code behind the lessons of an open course on training convolutional networks."""

__version__ = "0.1.0"

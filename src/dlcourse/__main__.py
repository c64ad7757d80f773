"""`python -m dlcourse ...` runs the same commands as `dlcourse ...`."""

from dlcourse.cli import main

if __name__ == "__main__":
    raise SystemExit(main())

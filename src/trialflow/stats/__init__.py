"""Statistics: flat functions that take a tidy frame and return a tidy, unrounded frame."""

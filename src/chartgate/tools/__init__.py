"""One module per external program. Nothing outside this package builds command lines."""

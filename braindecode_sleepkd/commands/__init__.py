"""Sub-commands of the ``sleepkd`` command line (one module each)."""

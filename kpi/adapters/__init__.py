"""One adapter module per third-party library: the only places that import it."""

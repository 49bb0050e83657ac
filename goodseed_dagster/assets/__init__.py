"""Software-defined assets, one module per stage; thin wrappers over the plain-Python cores."""

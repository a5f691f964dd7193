"""The exceptions of hepfloat that the native module cannot define itself."""

from ._native import HepfloatError


class SchemeMismatchError(HepfloatError, ValueError):
    """Values that are not outputs of the scheme they are said to be compressed with, or data
    whose recorded scheme differs from a model's: the message names the column and the index
    of the first such value, or each column and both schemes."""

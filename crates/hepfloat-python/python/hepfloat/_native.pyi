"""Typed stubs of hepfloat's native module (re-exported by the `hepfloat` package)."""

from typing import Any, Dict, List, Optional, Tuple, TypeVar

import numpy as np
import numpy.typing as npt

_F = TypeVar("_F", np.float32, np.float64)

__version__: str

class Scheme:
    """One of the SDK's lossy float schemes. `Scheme(text)` parses `str(scheme)`:
    `"Atlas{k=7}"`, `"Cms{k=10}"`, `"RootRange{min=-2.5, max=2.5, n=16}"`, `"Half"`, …"""

    def __init__(self, text: str) -> None: ...
    @staticmethod
    def atlas(k: int) -> "Scheme":
        """ATLAS DAOD rounding: k mantissa bits, half away from zero, carrying into the exponent."""
    @staticmethod
    def cms(k: int) -> "Scheme":
        """CMS NanoAOD rounding (MiniFloatConverter::reduceMantissaToNbitsRounding)."""
    @staticmethod
    def nearest_even(k: int) -> "Scheme":
        """Round to nearest, ties to even, k mantissa bits kept."""
    @staticmethod
    def toward_zero(k: int) -> "Scheme":
        """Truncation toward zero, k mantissa bits kept (RNTuple Real32Trunc)."""
    @staticmethod
    def root_float16(k: int) -> "Scheme":
        """ROOT's Float16_t without a range: k mantissa bits."""
    @staticmethod
    def half() -> "Scheme":
        """IEEE half precision (RNTuple Real16)."""
    @staticmethod
    def root_range(min: float, max: float, n: int) -> "Scheme":
        """ROOT's range-packed Double32_t / Float16_t (//[min,max,n])."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

def compress(x: npt.NDArray[_F], scheme: Scheme) -> npt.NDArray[_F]:
    """x compressed with scheme, as a new array of the same shape and dtype."""

def compress_in_place(x: npt.NDArray[_F], scheme: Scheme) -> None:
    """Compress the writeable, contiguous array x in place."""

def preimage(c: npt.NDArray[_F], scheme: Scheme) -> Tuple[npt.NDArray[_F], npt.NDArray[_F]]:
    """The exact interval [lo, hi] of originals scheme maps to each value of c.

    Raises SchemeMismatchError (a ValueError) naming the index of a value that is not an output
    of the scheme."""

def detect_kept_bits(x: npt.NDArray[_F]) -> Optional[int]:
    """The mantissa bits the values keep; None when no value carries evidence."""

def max_abs_residual(c: float, scheme: Scheme) -> float:
    """The largest |x - c| over the float32 originals x that scheme maps to c."""

class HepfloatError(Exception):
    """An error of the hepfloat SDK, naming the file and, where known, column and offset."""

class DamagedFileError(HepfloatError):
    """A truncated or damaged file, or not a ROOT file: the message names file and offset."""

class ArrowArray:
    """An Arrow array (the Arrow PyCapsule interface), consumed once: pyarrow.array(a)."""

    def __arrow_c_array__(self, requested_schema: object = None) -> Tuple[object, object]: ...

def compress_arrow(x: object, scheme: Scheme) -> ArrowArray:
    """An Arrow array of float32 (or lists of them) compressed with scheme, offsets and nulls kept."""

def preimage_arrow(c: object, scheme: Scheme) -> Tuple[ArrowArray, ArrowArray]:
    """The preimage bounds of an Arrow array of float32 (or lists of them), offsets and nulls kept."""

def detect_kept_bits_arrow(x: object) -> Optional[int]:
    """The kept mantissa bits of the float values of an Arrow array."""

class ArrowStream:
    """An Arrow C stream of record batches (the Arrow PyCapsule interface), consumed once."""

    def __arrow_c_stream__(self, requested_schema: object = None) -> object: ...

def contents(path: str) -> List[Tuple[str, str, int]]:
    """(name, "TTree" or "RNTuple", entries) of each tree and RNTuple, the event data first."""

def columns(path: str, name: Optional[str] = None, patterns: Optional[List[str]] = None) -> List[Tuple[str, str]]:
    """(column, Arrow type) of the readable columns matching any of the globs."""

def read(
    path: str,
    name: Optional[str] = None,
    patterns: Optional[List[str]] = None,
    entry_start: Optional[int] = None,
    entry_stop: Optional[int] = None,
    step_entries: Optional[int] = None,
    step_bytes: Optional[int] = None,
) -> ArrowStream:
    """The selected events as an Arrow stream, read as the consumer pulls batches."""

class ModelFileError(HepfloatError):
    """A model file that is not one, is damaged, or breaks an invariant: names file, column, field."""

class Model:
    """A fitted upsampling model (the `hepfloat.Model` class wraps it)."""

    @staticmethod
    def load(path: str) -> "Model": ...
    @staticmethod
    def from_json(text: str) -> "Model": ...
    def to_json(self) -> str: ...
    def save(self, path: str) -> None: ...
    def columns(self) -> List[Tuple[str, Scheme, str]]: ...
    def groups(self) -> List[Tuple[str, List[str]]]: ...
    def scheme_of(self, name: str) -> Optional[Scheme]: ...
    @staticmethod
    def fit(
        train: object,
        valid: object,
        default: Optional[Scheme],
        map: List[Tuple[str, Optional[Scheme]]],
        keep: List[str],
        groups: bool = True,
        rules: Optional[List[str]] = None,
        max_values: int = 4_000_000,
        sample_mib: int = 1024,
        estimate: str = "mean",
    ) -> Tuple["Model", List[Dict[str, Any]]]:
        """Fit on two Arrow streams of original events (training, then validation)."""
    def upsample(self, stream: object, estimate: str = "mean", seed: int = 0, eager: bool = True) -> ArrowStream:
        """An Arrow stream of compressed events upsampled (read to the end first if eager)."""
    def upsample_values(
        self, name: str, x: npt.NDArray[np.float32], estimate: str = "mean", seed: int = 0, first_row: int = 0
    ) -> npt.NDArray[np.float32]:
        """The values of one column upsampled by its own model."""

def compress_stream(
    stream: object,
    default: Optional[Scheme],
    map: List[Tuple[str, Optional[Scheme]]],
    keep: List[str],
    eager: bool = True,
) -> ArrowStream:
    """An Arrow stream with its float columns compressed as declared, schemes recorded."""

def compare(
    original: npt.NDArray[_F], compressed: npt.NDArray[_F], candidate: npt.NDArray[_F], bins: int = 100, kl_alpha: float = 0.5
) -> List[Dict[str, Any]]:
    """Every metric of the comparison table, one dict per metric."""

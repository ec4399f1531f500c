"""The 3A090 metrics as vectorised functions on plain float64 arrays.

Every function takes numbers or numpy arrays in the canonical units of
:mod:`chipclass.units` (TOPS, mm**2, GB/s) and works unchanged for scalars, arrays and
pandas Series. Missing inputs are NaN and propagate as NaN. Units are the caller's
business: parse them at the edge (:mod:`chipclass.catalogue`) or use the Quantity-aware
wrappers in :mod:`chipclass.api`.

References
----------
.. [1] 88 FR 73458 (2023-10-25), Supplement No. 1 to part 774, ECCN 3A090 Technical Notes:
   "'Total processing performance' ('TPP') is 2 x 'MacTOPS' x 'bit length of the operation',
   aggregated over all processing units on the integrated circuit."
.. [2] 88 FR 73458, 3A090 Technical Note on 'performance density': "'TPP' divided by
   'applicable die area'", the die area in mm**2 of all logic dies made with a non-planar
   transistor architecture.
.. [3] 89 FR 96790 (2024-12-05), ECCN 3A090.c: 'memory bandwidth density', memory bandwidth
   in GB/s divided by the package or stack area in mm**2.
"""

from __future__ import annotations

import functools
from typing import Mapping

import numpy as np

from chipclass.core.formats import BIT_LENGTH, FORMATS

__all__ = [
    "quantity_aware",
    "dense_throughput",
    "tpp_per_format",
    "total_processing_performance",
    "performance_density",
    "memory_bandwidth_density",
]


def _is_quantity(x) -> bool:
    return type(x).__module__.startswith("pint") and hasattr(x, "magnitude")


def quantity_aware(*kinds, result: str):
    """Let a formula take pint Quantities as well as plain numbers (the MetPy pattern).

    Plain numbers and arrays are taken as already in canonical units and the plain result is
    returned: bulk paths never touch pint. When any argument is a Quantity, each Quantity is
    converted to its kind's canonical unit (``kinds``, :data:`chipclass.core.units.CANONICAL`;
    a dimension error names the argument), and the result comes back as a Quantity in
    ``result``. The unit-free function stays reachable as ``fn.nounit``.
    """
    def wrap(fn):
        @functools.wraps(fn)
        def inner(*args, **kwargs):
            if not any(_is_quantity(a) for a in (*args, *kwargs.values())):
                return fn(*args, **kwargs)
            from chipclass.core.units import CANONICAL, ureg

            names = fn.__code__.co_varnames[:fn.__code__.co_argcount]
            bound = dict(zip(names, args), **kwargs)
            for name, kind in zip(names, kinds):
                value = bound.get(name)
                if kind is not None and _is_quantity(value):
                    if not value.check(ureg.parse_units(CANONICAL[kind]).dimensionality):
                        raise ValueError(f"{fn.__name__}: {name} needs a {kind} ({CANONICAL[kind]}), "
                                         f"got {value.units}")
                    bound[name] = np.asarray(value.to(CANONICAL[kind]).magnitude, dtype=np.float64)
            return ureg.Quantity(fn(**bound), result)
        inner.nounit = fn
        return inner
    return wrap


@quantity_aware("throughput", "throughput", result="TOPS")
def dense_throughput(dense, sparse=None):
    r"""Dense throughput from a dense figure, else half the vendor's "with sparsity" figure.

    .. math:: T_{dense} = \begin{cases} D & D \text{ given} \\ S / 2 & \text{otherwise} \end{cases}

    Parameters
    ----------
    dense : array_like
        Dense throughput. [TOPS]
    sparse : array_like, optional
        Vendor figure "with sparsity" (2:4 structured sparsity doubles the quoted rate). [TOPS]

    Returns
    -------
    ndarray
        Dense throughput; NaN where neither is given. [TOPS]

    Notes
    -----
    TPP counts dense operations; NVIDIA's datasheets mark sparse figures "with sparsity" and
    GeForce "AI TOPS" are sparse FP4 (digest, section 2). A dense figure wins when both are
    given.

    Examples
    --------
    >>> float(dense_throughput(float("nan"), 2375.0))   # RTX 5090 D "AI TOPS", sparse FP4
    1187.5
    """
    dense = np.asarray(dense, dtype=np.float64)
    if sparse is None:
        return dense
    return np.where(np.isnan(dense), np.asarray(sparse, dtype=np.float64) / 2.0, dense)


@quantity_aware("throughput", None, result="dimensionless")
def tpp_per_format(throughput, bit_length):
    r"""TPP of one numeric format: dense throughput times the bit length of the operation.

    .. math:: TPP_f = 2 \cdot MacTOPS_f \cdot b_f = T_f \cdot b_f

    Parameters
    ----------
    throughput : array_like
        Dense throughput in that format (2 x MacTOPS, the datasheet figure). [TOPS]
    bit_length : int
        Bit length of the operation (:data:`chipclass.formats.BIT_LENGTH`). [bit]

    Returns
    -------
    ndarray
        TPP for that format. [dimensionless, bit x TOPS]

    References
    ----------
    3A090 Technical Note, 88 FR 73458 [1]_.

    Examples
    --------
    >>> float(tpp_per_format(1979.0, 8))   # H100 SXM dense FP8, NVIDIA datasheet
    15832.0
    """
    return np.asarray(throughput, dtype=np.float64) * float(bit_length)


def total_processing_performance(throughputs: Mapping[str, object],
                                 bit_lengths: Mapping[str, int] | None = None):
    r"""TPP of a device: the highest per-format TPP, and the format that gave it.

    .. math:: TPP = \max_f T_f \cdot b_f

    Parameters
    ----------
    throughputs : mapping of format name to array_like
        Dense throughput per format (``fp8``, ``int8``, ...). [TOPS]
    bit_lengths : mapping, optional
        Overrides of :data:`chipclass.formats.BIT_LENGTH` (e.g. ``{'tf32': 19}``).

    Returns
    -------
    tpp : ndarray
        Highest per-format TPP; NaN where no format is given. [dimensionless]
    fmt : ndarray of str
        Name of the format that gave it ('' where none); ties go to the format listed first
        in ``formats.toml``.

    Notes
    -----
    The regulation defines TPP per operation; taking the highest over the formats a chip
    supports is universal practice (digest, section 2). BIS's own example: 4800 is reached
    by 600 dense 8-bit TOPS or 300 dense 16-bit TFLOPS.

    Examples
    --------
    >>> tpp, fmt = total_processing_performance({"fp8": 296.0, "fp16": 148.0})  # H20
    >>> float(tpp), str(fmt)
    (2368.0, 'fp8')
    """
    tpp, which, names = best_format(throughputs, bit_lengths)
    fmt = np.asarray(names + [""], dtype=object)[which]  # index -1 picks ""
    return tpp, fmt


@quantity_aware("dimensionless", "area", result="1/mm**2")
def performance_density(tpp, die_area):
    r"""Performance density: TPP per mm² of applicable die area.

    .. math:: PD = \frac{TPP}{A_{die}}

    Parameters
    ----------
    tpp : array_like
        Total processing performance. [dimensionless]
    die_area : array_like
        Applicable die area: all logic dies on a non-planar-transistor process, summed over
        chiplets; memory (HBM) dies excluded. [mm**2]

    Returns
    -------
    ndarray
        Performance density. [1/mm**2]

    References
    ----------
    3A090 Technical Note, 88 FR 73458 [2]_.

    Examples
    --------
    >>> round(float(performance_density(2368.0, 814.0)), 2)   # H20 on the GH100 die
    2.91
    """
    return np.asarray(tpp, dtype=np.float64) / np.asarray(die_area, dtype=np.float64)


@quantity_aware("bandwidth", "area", result="GB/s/mm**2")
def memory_bandwidth_density(memory_bandwidth, area):
    r"""Memory bandwidth density: memory bandwidth per mm² of package or stack area.

    .. math:: MBD = \frac{BW_{mem}}{A_{package}}

    Parameters
    ----------
    memory_bandwidth : array_like
        Memory bandwidth. [GB/s]
    area : array_like
        Package (or HBM stack) area. [mm**2]

    Returns
    -------
    ndarray
        Memory bandwidth density. [GB/s/mm**2]

    References
    ----------
    ECCN 3A090.c, 89 FR 96790 [3]_.

    Examples
    --------
    >>> round(float(memory_bandwidth_density(819.2, 110.0)), 2)   # an HBM3 stack
    7.45
    """
    return np.asarray(memory_bandwidth, dtype=np.float64) / np.asarray(area, dtype=np.float64)


def best_format(throughputs: Mapping[str, object], bit_lengths: Mapping[str, int] | None = None):
    """The arithmetic of :func:`total_processing_performance`, with the format as codes.

    Returns ``(tpp, which, names)``: ``which`` indexes ``names`` (-1 where no format is given),
    so bulk callers can build a categorical without string arrays.
    """
    bits = dict(BIT_LENGTH)
    if bit_lengths:
        bits.update(bit_lengths)
    names = [f for f in FORMATS if f in throughputs] + [f for f in throughputs if f not in FORMATS]
    if not names:
        raise ValueError("total_processing_performance needs at least one format's throughput")
    best = np.full(np.shape(np.asarray(throughputs[names[0]])), -np.inf)
    which = np.full(best.shape, -1, dtype=np.int8)
    for i, f in enumerate(names):  # a pass per format (a dozen), never per row
        value = tpp_per_format(throughputs[f], bits[f])
        higher = value > best  # NaN compares False, so missing formats never win
        np.copyto(best, value, where=higher)
        np.copyto(which, np.int8(i), where=higher)
    tpp = np.where(which < 0, np.nan, best)
    return tpp, which, names

"""The design space around a device: sweeps of variants, headroom per spec, the envelope
keeping a target outcome, and the TPP-density map.
"""

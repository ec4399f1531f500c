"""Collection settings for the whole repository (the doctests in chipclass/ included)."""

import importlib.util

# chipclass.serve needs the optional extra chipclass[serve]; without it, skip its doctests.
collect_ignore_glob = [] if importlib.util.find_spec("starlette") else ["chipclass/serve/*"]

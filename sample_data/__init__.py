"""snomap's fictional sample release (`release/`) and sample guidelines (`guidelines/`), shipped as package data.

Nothing here is imported for its code: `terminology.sample` finds these files through
`importlib.resources`, so an installed snomap (not only a checkout) serves the sample.
`make_sample.py` is the script that writes `release/` (see README.md).
"""

"""One transfer, step by step; ``pipeline`` reads it top to bottom.

authenticate -> resolve_agreement -> receive -> filter -> record -> forward -> record outcome.
"""

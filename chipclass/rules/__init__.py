"""Rule data composed by date: instruments (rule files), Country Groups and destinations,
licence records and product notes.
"""

"""Where every sentence and table is made: formats, the one atomic writer, tables, reports,
SARIF, JUnit, audit fields, progress and notebook HTML.
"""

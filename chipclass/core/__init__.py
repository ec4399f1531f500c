"""The bottom layer: units, the typed rule-file schema, number formats, the catalogue
(vocabulary and cells to float64 columns), readers, the formulas, validation and errors.
Nothing here imports another chipclass package.
"""

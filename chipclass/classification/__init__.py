"""Classification: the rule set in force compiled into vectorised three-valued predicates
(:mod:`~chipclass.classification.logic`), evaluated over whole columns
(:mod:`~chipclass.classification.engine`), the ECCN ladder (:mod:`~chipclass.classification.ladder`)
and the typed result (:mod:`~chipclass.classification.result`).
"""

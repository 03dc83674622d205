"""ReportLab side of typesetting: fonts, the glyph-by-glyph text flowable, notice and ad templates.

Never `import print` (it would shadow the builtin); import the submodules.
"""

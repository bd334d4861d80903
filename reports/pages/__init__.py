"""reports.pages: one module per page, each with its `render...` entry point (re-exported by `reports`, all
but `fullsize.render_fullsize`): `study` (one study), `compare` (studies pooled by group), `versus`
(`hpsearch compare`'s studies side by side), `book` (the chapter-6 experiment pages), `fair` (the fair
optimizer comparison), `bench` (the search-method benchmark), `fullsize` (a full-size search), `narrowing`
(a range-narrowing run).

Every page builds on two shared modules: `common` (figure plans and drawing, inputs and places, the 'what
ran' section, interval cells, write_page) and `html` (the single HTML writer). A page never imports another
page's helpers; the one page rendered by another is the study page (`narrowing` renders each round's page
through `study.render`). Pages import `reports.data`, `reports.figures` and `reports.load`
(tests/reports/test_layering.py checks the direction).
"""

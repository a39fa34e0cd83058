"""Results tooling: paper-reproduction targets, cross-family tables and per-run HTML reports.

``registry`` checks a workdir's ``eval.json`` against the targets an experiment config declares
(``config.reproduce``); ``compare`` puts several workdirs' metrics side by side; ``report`` turns
one workdir into a self-contained HTML page. None of them imports JAX except ``reproduce``, which
trains: reading results stays instant.
"""

"""One module per workload: ``jaxgen_side(quick)`` and ``peer_side(quick)`` each return a dict
(``benchmarks.common`` runs each in a fresh subprocess), plus ``PEER`` (the peer's package) and
``DESCRIPTION``. ``WORKLOADS`` lists them in the order ``benchmarks.run`` runs them."""

WORKLOADS = ("vae", "realnvp", "glow", "dcgan", "ddpm")

"""The generative families. Each is a self-contained experiment module on the shared runner;
``jaxgen.registry.FAMILIES`` names them and builds one by name."""

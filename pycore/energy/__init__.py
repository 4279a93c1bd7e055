"""The energy estimate: architectures, GPUs, workload, Table V features, physics, exported trees,
the shipped predictor, and what a served deployment costs over a period."""

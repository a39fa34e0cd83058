"""One-step distillation of a rectified flow on 8x8 digits (Liu et al. 2023, sec. 2.3).

Trains flow_matching_digits (the 1-rectified flow) on its pairs (z, x = ODE(z); see
rectified_flow_reflow_digits) at t = 1 only, so one Euler step x = z - v(z, 1) maps noise to a
sample. reflow.time_grid = k distils for k steps; --config.init_from=runs/reflow_digits with
that flow's pairs distils the 2-rectified flow.

Launch:   jaxgen train --config experiments/rectified_flow_distill_digits.py --workdir runs/distill_digits
Evaluate: jaxgen eval --workdir runs/distill_digits
Expected (seed 0, 1,000 steps, 3 min; evaluation 2 min on 2 CPU cores): one-step FID 4.96 (1,000
samples); from the 2-rectified flow and its own pairs, 1.02.
"""

import rectified_flow_reflow_digits


def get_config(arg=None):
  config = rectified_flow_reflow_digits.get_config(arg)
  config.description = "rectified flow distilled for one Euler step, 8x8 digits"
  config.reflow.time_grid = 1
  config.sample.num_steps = 1
  if arg != "smoke":
    config.train.num_steps = 1000
    config.eval.fid_vs_nfe = (("euler", 1), ("euler", 2))
  del config.reproduce
  return config

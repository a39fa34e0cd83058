"""2-D RealNVP training step and sampling: jaxgen's ``realnvp_grid25`` vs normflows.

Both: 8 affine couplings on 2-D points, each after an actnorm, alternating which coordinate is
transformed, coupling networks MLPs 128-128 with zero-initialised outputs, standard normal base,
negative log-likelihood of a batch of 256, Adam 1e-3; sampling draws 1,000 points.

The networks differ by design in their input and output widths: jaxgen's ``MLP`` reads the masked
2-vector and writes (shift, raw scale) for both coordinates (the mask discards half), normflows'
``AffineCouplingBlock`` hands its ``MLP`` only the conditioning coordinate and asks for the other's
two numbers. At widths 128 that is 2.3% more parameters on jaxgen's side (the two extra input and
output units of each coupling), not a difference in depth or width; the ``params`` entry reports it.
jaxgen bounds the log-scale with a learned tanh factor (RealNVP's code); normflows uses ``exp``.
"""

from benchmarks import common

PEER = "normflows"
DESCRIPTION = "RealNVP 2-D, 8 couplings, MLP 128-128, batch 256, Adam 1e-3; sample 1,000"
BATCH = 256
COUPLINGS = 8
HIDDEN = (128, 128)
LEARNING_RATE = 1e-3
NUM_SAMPLES = 1000


def jaxgen_overrides(couplings: int = COUPLINGS) -> list[str]:
  return [f"train.batch_size={BATCH}", f"model.num_couplings={couplings}",
          f"model.hidden={HIDDEN}", "model.actnorm=True", f"optimizer.learning_rate={LEARNING_RATE}"]


def jaxgen_run():
  """jaxgen's side as the runner builds it, and the synthetic data it trains on."""
  from benchmarks.workloads import jax_helpers
  return jax_helpers.build_run("realnvp_grid25", jaxgen_overrides()), common.normal_data


def jaxgen_side(quick: bool) -> dict:
  from benchmarks.workloads import jax_helpers
  run, make = jaxgen_run()
  return jax_helpers.train_and_sample(run, make, quick, NUM_SAMPLES, f"{NUM_SAMPLES}_points")


def peer_side(quick: bool) -> dict:
  import normflows as nf

  from benchmarks.workloads import torch_helpers
  torch_helpers.setup()
  flows = []
  for _ in range(COUPLINGS):
    flows.append(nf.flows.ActNorm((2,)))
    flows.append(nf.flows.AffineCouplingBlock(nf.nets.MLP([1, *HIDDEN, 2], init_zeros=True)))
    flows.append(nf.flows.Permute(2, mode="swap"))
  model = nf.NormalizingFlow(nf.distributions.DiagGaussian(2, trainable=False), flows)
  return torch_helpers.train_and_sample_flow(
      model, (BATCH, 2), common.normal_data, LEARNING_RATE, quick, NUM_SAMPLES,
      f"{NUM_SAMPLES}_points", config="normflows ActNorm + AffineCouplingBlock(MLP) + Permute(swap)")

"""Image Glow training step and sampling: jaxgen's ``glow_digits`` vs normflows' multi-scale Glow.

Both: 8x8x1 images dequantized into [0, 1] (17 levels, as the digits pipeline delivers them), 2
scales of 8 steps each; a scale squeezes (8x8x1 -> 4x4x4, then 4x4x2 -> 2x2x8), runs its steps
and, except the last, factors out half of the channels. A step is actnorm (data-dependent
initialisation on the first batch), LU-decomposed invertible 1x1 convolution, affine coupling on
the channel halves (the first half conditions the second) with Glow's scale sigmoid(h + 2), its
network Glow's 3x3 conv, ReLU, 1x1 conv, ReLU, zero-initialised 3x3 conv. Objective: the
negative log-likelihood in nats of the [0, 1] data averaged over a batch of 64 (jaxgen's
``loss.name=nll``; normflows' ``forward_kld``), Adam 1e-3; sampling draws 64 images.

Differences by design, and how the sizes are matched:

- **Coupling network widths.** jaxgen's ``AffineCoupling`` feeds its ``ConvNet`` the masked
  C-channel input (the transformed half zeroed) and has it emit (shift, scale) for all C channels
  (the mask discards half); normflows' ``GlowBlock`` splits the channels and feeds its
  ``ConvNet2d`` the C/2 conditioning channels for C outputs, as Glow's code does. At the same
  hidden width (64) normflows' model is 35% smaller (152k against 236k parameters), so its hidden
  widths are raised per scale, to 81 at 4x4x4 and 90 at 2x2x8, which equalises the parameters of
  each scale within 0.5%. Every coupling weight is applied once per pixel of its scale, so this
  also equalises the multiply-adds per scale (jaxgen 1.98M, normflows 1.97M per image forward).
- jaxgen's zero-initialised output convolution scales its output by exp(3 s), s a learned
  per-channel vector (Glow's ``conv2d_zeros``); normflows' ``ConvNet2d`` has a plain one.
- **Priors.** jaxgen's factored-out half has Glow's learned split prior N(mu(x1), sigma(x1)^2),
  (mu, log sigma) from a zero-initialised 3x3 convolution of the kept half (80 parameters), and
  the top a learned per-channel N(mu_c, sigma_c^2) (an actnorm before N(0, I), 16 parameters).
  normflows' ``MultiscaleFlow`` takes one unconditional base per level, so both levels get
  ``GlowBase`` (per-channel mean and log-scale, each times a learned exp(3 s): 8 and 32
  parameters); normflows cannot condition the factored-out half on the kept one.
- The LU 1x1 convolutions store full C x C lower and upper matrices on both sides (2 C^2 + C).
- jaxgen runs each scale's 8 steps as one ``lax.scan`` (``bijectors.Repeated``) in the jitted
  step; normflows runs its layers eagerly, one module call at a time.

Parameters: jaxgen 235,520, normflows 234,480 (+0.44%).
"""

from benchmarks import common

PEER = "normflows"
DESCRIPTION = ("Glow 8x8x1, 2 scales x 8 steps (actnorm, LU 1x1, affine coupling), hidden 64 "
               "(normflows 81/90), batch 64, Adam 1e-3; sample 64")
BATCH = 64
SCALES = 2
STEPS = 8
HIDDEN = 64  # jaxgen's coupling networks, every scale
PEER_HIDDEN = (81, 90)  # normflows' coupling networks: the 4x4x4 scale, the 2x2x8 scale
IMAGE = (8, 8, 1)  # digits: H, W, C
LEARNING_RATE = 1e-3
NUM_SAMPLES = 64


def jaxgen_overrides() -> list[str]:
  return [f"train.batch_size={BATCH}", f"model.num_scales={SCALES}",
          f"model.steps_per_scale={STEPS}", f"model.features={HIDDEN}", "model.coupling=affine",
          "model.scale=sigmoid", "model.permutation=lu", "model.learned_prior=True",
          "model.learn_top=True", "loss.name=nll", f"optimizer.learning_rate={LEARNING_RATE}"]


def jaxgen_run():
  """jaxgen's side as the runner builds it, and the synthetic data it trains on."""
  from benchmarks.workloads import jax_helpers
  return jax_helpers.build_run("glow_digits", jaxgen_overrides()), common.dequantized_data


def jaxgen_side(quick: bool) -> dict:
  from benchmarks.workloads import jax_helpers
  run, make = jaxgen_run()
  return jax_helpers.train_and_sample(run, make, quick, NUM_SAMPLES, f"{NUM_SAMPLES}_images")


def build_peer_model():
  """normflows' multi-scale Glow as its Glow example builds it: level 0 is the coarsest.

  ``MultiscaleFlow.log_prob`` runs level 1 (squeeze 8x8x1 -> 4x4x4, 8 ``GlowBlock``s), splits the
  channels (``Merge`` inverted: the first half continues, the second goes to ``q0[1]``), then
  level 0 (squeeze -> 2x2x8, 8 ``GlowBlock``s) into ``q0[0]``. Images are NCHW.
  """
  import normflows as nf
  height, width, channels = IMAGE
  flows, merges, bases = [], [], []
  for level in range(SCALES):
    level_channels = channels * 2 ** (SCALES + 1 - level)  # 8 at level 0, 4 at level 1
    hidden = PEER_HIDDEN[SCALES - 1 - level]
    blocks = [nf.flows.GlowBlock(level_channels, hidden, scale=True, scale_map="sigmoid",
                                 split_mode="channel", use_lu=True) for _ in range(STEPS)]
    flows.append(blocks + [nf.flows.Squeeze()])
    factor = 2 ** (SCALES - level)
    if level == 0:  # the top: everything left after the last squeeze
      shape = (level_channels, height // factor, width // factor)
    else:  # the half factored out after this level's steps
      merges.append(nf.flows.Merge())
      shape = (level_channels // 2, height // factor, width // factor)
    bases.append(nf.distributions.GlowBase(shape))
  return nf.MultiscaleFlow(bases, flows, merges, class_cond=False)


def peer_side(quick: bool) -> dict:
  from benchmarks.workloads import torch_helpers
  torch_helpers.setup()
  height, width, channels = IMAGE
  # forward_kld is -mean log p(x); its first call initialises the actnorms.
  return torch_helpers.train_and_sample_flow(
      build_peer_model(), (BATCH, channels, height, width), common.dequantized_data, LEARNING_RATE,
      quick, NUM_SAMPLES, f"{NUM_SAMPLES}_images",
      config="normflows MultiscaleFlow: GlowBlock x 8 per level, Squeeze, Merge, GlowBase per level")

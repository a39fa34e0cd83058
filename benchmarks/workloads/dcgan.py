"""DCGAN training step: jaxgen's ``dcgan_digits`` ``train_step`` vs the same DCGAN in PyTorch.

Both at 8x8x1, as in jaxgen's config: generator z (100) -> dense 2x2x128 (no bias), batch norm,
ReLU -> 5x5 stride-2 transposed conv to 4x4x64 (no bias), batch norm, ReLU -> 5x5 stride-2
transposed conv to 8x8x1, tanh; discriminator 5x5 stride-2 convs 64 then 128 channels, leaky
ReLU 0.2, batch norm after the second, linear head. The non-saturating loss, Adam 2e-4
(beta1 0.5) for each network, batch 64 and ``N_CRITIC`` discriminator updates (each on its own
micro-batch of the batch, as jaxgen splits it) then one generator update per step, as the
PyTorch DCGAN example does it (fake batch detached for D, fresh noise for G).
"""

from benchmarks import common

PEER = "torch"
DESCRIPTION = "DCGAN 8x8 (64/128 features, z 100), batch 64, n_critic 1, Adam 2e-4 b1 0.5"
BATCH = 64
N_CRITIC = 1
LATENT = 100
FEATURES = 64
LEARNING_RATE = 2e-4
BETA1 = 0.5


def jaxgen_run():
  """jaxgen's side as the runner builds it, and the synthetic data it trains on."""
  from benchmarks.workloads import jax_helpers
  return jax_helpers.build_run("dcgan_digits", [
      f"train.batch_size={BATCH}", f"train.n_critic={N_CRITIC}", f"model.latent_dim={LATENT}",
      f"model.features={FEATURES}", f"optimizer.learning_rate={LEARNING_RATE}",
      f"d_optimizer.learning_rate={LEARNING_RATE}", f"optimizer.b1={BETA1}",
      f"d_optimizer.b1={BETA1}"]), common.signed_data


def jaxgen_side(quick: bool) -> dict:
  from benchmarks.workloads import jax_helpers
  run, make = jaxgen_run()
  result, _ = jax_helpers.train(run, jax_helpers.synthetic_batches(run, make), quick)
  result["n_critic"] = N_CRITIC
  return result


def peer_side(quick: bool) -> dict:
  import torch
  from torch import nn

  from benchmarks.workloads import torch_helpers
  torch_helpers.setup()

  class Generator(nn.Module):
    """z: [B, 100] -> x: [B, 1, 8, 8] in [-1, 1]."""

    def __init__(self):
      super().__init__()
      self.project = nn.Linear(LATENT, 2 * 2 * 2 * FEATURES, bias=False)
      self.net = nn.Sequential(
          nn.BatchNorm2d(2 * FEATURES), nn.ReLU(),
          nn.ConvTranspose2d(2 * FEATURES, FEATURES, 5, 2, padding=2, output_padding=1, bias=False),
          nn.BatchNorm2d(FEATURES), nn.ReLU(),
          nn.ConvTranspose2d(FEATURES, 1, 5, 2, padding=2, output_padding=1), nn.Tanh())

    def forward(self, z):
      return self.net(self.project(z).reshape(-1, 2 * FEATURES, 2, 2))

  discriminator = nn.Sequential(
      nn.Conv2d(1, FEATURES, 5, 2, padding=2), nn.LeakyReLU(0.2),
      nn.Conv2d(FEATURES, 2 * FEATURES, 5, 2, padding=2), nn.BatchNorm2d(2 * FEATURES),
      nn.LeakyReLU(0.2), nn.Flatten(), nn.Linear(2 * FEATURES * 2 * 2, 1))
  generator = Generator()
  g_optimizer = torch.optim.Adam(generator.parameters(), lr=LEARNING_RATE, betas=(BETA1, 0.999))
  d_optimizer = torch.optim.Adam(discriminator.parameters(), lr=LEARNING_RATE, betas=(BETA1, 0.999))
  bce = nn.BCEWithLogitsLoss()
  micro = BATCH // N_CRITIC

  def step(real):
    for i in range(N_CRITIC):
      real_i = real[i::N_CRITIC]
      fake = generator(torch.randn(micro, LATENT)).detach()
      real_logits, fake_logits = discriminator(real_i), discriminator(fake)
      d_loss = (bce(real_logits, torch.ones_like(real_logits))
                + bce(fake_logits, torch.zeros_like(fake_logits)))
      d_optimizer.zero_grad(set_to_none=True)
      d_loss.backward()
      d_optimizer.step()
    fake_logits = discriminator(generator(torch.randn(micro, LATENT)))
    g_loss = bce(fake_logits, torch.ones_like(fake_logits))
    g_optimizer.zero_grad(set_to_none=True)
    g_loss.backward()
    g_optimizer.step()
    return g_loss

  batches = torch_helpers.synthetic_batches((BATCH, 1, 8, 8), common.signed_data)
  result = torch_helpers.train(step, batches, torch_helpers.count_params(generator, discriminator),
                               quick, config="PyTorch DCGAN example layers at 8x8")
  result["n_critic"] = N_CRITIC
  return result

"""MLP VAE training step: jaxgen's ``vae_binarized_digits`` vs pythae's ``VAE`` with the same nets.

Both: 64 binary inputs -> 256 -> 128 -> 2 x 8 (posterior mean and log-scale), one reparameterized
sample, decoder 8 -> 128 -> 256 -> 64 Bernoulli logits (pythae: sigmoid probabilities into its BCE,
the same work), the negative ELBO averaged over a batch of 128, Adam 1e-3.
"""

from benchmarks import common

PEER = "pythae"
DESCRIPTION = "MLP VAE (64-256-128-8), batch 128, Adam 1e-3"
BATCH = 128
HIDDEN = (256, 128)
LATENT = 8
INPUTS = 64  # 8x8x1 binarized digits
LEARNING_RATE = 1e-3


def jaxgen_run():
  """jaxgen's side as the runner builds it, and the synthetic data it trains on."""
  from benchmarks.workloads import jax_helpers
  return jax_helpers.build_run("vae_binarized_digits", [
      f"train.batch_size={BATCH}", f"model.hidden={HIDDEN}", f"model.latent_dim={LATENT}",
      f"optimizer.learning_rate={LEARNING_RATE}"]), common.binary_data


def jaxgen_side(quick: bool) -> dict:
  from benchmarks.workloads import jax_helpers
  run, make = jaxgen_run()
  result, _ = jax_helpers.train(run, jax_helpers.synthetic_batches(run, make), quick)
  return result


def build_peer_model():
  """pythae's VAE around custom MLP BaseEncoder/BaseDecoder nets of jaxgen's sizes."""
  import torch
  from pythae.models import VAE, VAEConfig
  from pythae.models.base.base_utils import ModelOutput
  from pythae.models.nn import BaseDecoder, BaseEncoder

  def mlp(widths):
    layers = []
    for i, (fan_in, fan_out) in enumerate(zip(widths[:-1], widths[1:])):
      layers.append(torch.nn.Linear(fan_in, fan_out))
      if i < len(widths) - 2:
        layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)

  class Encoder(BaseEncoder):
    """x: [B, 1, 8, 8] -> posterior mean and log-variance, from one 2K-wide head as in jaxgen."""

    def __init__(self):
      super().__init__()
      self.net = mlp((INPUTS, *HIDDEN, 2 * LATENT))

    def forward(self, x):
      mean, log_std = self.net(x.reshape(x.shape[0], -1)).chunk(2, dim=-1)
      return ModelOutput(embedding=mean, log_covariance=2.0 * log_std)

  class Decoder(BaseDecoder):
    """z: [B, 8] -> Bernoulli means [B, 1, 8, 8]."""

    def __init__(self):
      super().__init__()
      self.net = mlp((LATENT, *reversed(HIDDEN), INPUTS))

    def forward(self, z):
      return ModelOutput(reconstruction=torch.sigmoid(self.net(z)).reshape(z.shape[0], 1, 8, 8))

  config = VAEConfig(input_dim=(1, 8, 8), latent_dim=LATENT, reconstruction_loss="bce")
  return VAE(config, encoder=Encoder(), decoder=Decoder())


def peer_side(quick: bool) -> dict:
  import torch

  from benchmarks.workloads import torch_helpers
  torch_helpers.setup()
  model = build_peer_model()
  model.train()
  optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)

  def step(x):
    loss = model({"data": x}).loss
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return loss

  batches = torch_helpers.synthetic_batches((BATCH, 1, 8, 8), common.binary_data)
  return torch_helpers.train(step, batches, torch_helpers.count_params(model), quick,
                             config="pythae VAE, custom MLP BaseEncoder/BaseDecoder")

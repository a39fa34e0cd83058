"""The autoencoder family: its penalties against explicit computations, and its experiment."""

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import pytest
from scipy.special import expit

from jaxgen.core import config as config_lib
from jaxgen.families.autoencoder import losses
from jaxgen.families.autoencoder.model import build_autoencoder
from jaxgen.nn.corruption import corrupt

jax.config.update("jax_default_matmul_precision", "highest")


def model_config(name="mlp", latent_dim=5, code_activation="sigmoid"):
  return ml_collections.ConfigDict(dict(name=name, hidden=(16,), features=(4, 8),
                                        latent_dim=latent_dim, code_activation=code_activation))


def test_contractive_penalty_equals_frobenius_norm_of_explicit_jacobian():
  model = build_autoencoder(model_config(), (4, 4, 1))
  x = jax.random.uniform(jax.random.PRNGKey(0), (3, 4, 4, 1))
  params = model.init(jax.random.PRNGKey(1), x)["params"]
  encode = lambda v: model.apply({"params": params}, v, method=model.encode)
  penalty = jax.jit(lambda v: losses.contractive_penalty(encode, v))(x)
  for i in range(3):
    jacobian = jax.jacobian(lambda example: encode(example[None])[0])(x[i])  # [K, 4, 4, 1]
    np.testing.assert_allclose(penalty[i], np.sum(np.square(jacobian)), rtol=1e-5)


def test_kl_sparsity_matches_numpy():
  codes = jax.random.uniform(jax.random.PRNGKey(0), (6, 4), minval=0.01, maxval=0.99)
  rho, rho_hat = 0.05, np.asarray(codes).mean(0)
  expected = np.sum(rho * np.log(rho / rho_hat) + (1 - rho) * np.log((1 - rho) / (1 - rho_hat)))
  np.testing.assert_allclose(losses.kl_sparsity(codes, rho), np.full(6, expected), rtol=1e-5)


def test_reconstruction_losses_match_numpy():
  logits = jax.random.normal(jax.random.PRNGKey(0), (2, 3, 3, 1))
  target = jax.random.uniform(jax.random.PRNGKey(1), (2, 3, 3, 1))
  p, t = expit(np.asarray(logits, np.float64)), np.asarray(target, np.float64)
  bce = -(t * np.log(p) + (1 - t) * np.log(1 - p)).reshape(2, -1).sum(1)
  mse = np.square(p - t).reshape(2, -1).sum(1)
  np.testing.assert_allclose(losses.bce(logits, target, jax.nn.sigmoid), bce, rtol=1e-5)
  np.testing.assert_allclose(losses.mse(logits, target, jax.nn.sigmoid), mse, rtol=1e-5)
  np.testing.assert_allclose(losses.l1_sparsity(logits.reshape(2, -1)),
                             np.abs(np.asarray(logits)).reshape(2, -1).sum(1), rtol=1e-6)


def test_corruptions_have_the_stated_statistics():
  x = jnp.ones((200, 8, 8, 1))
  noisy = corrupt(x, jax.random.PRNGKey(0), "gaussian", 0.3)
  assert abs(float(jnp.std(noisy - x)) - 0.3) < 0.01
  masked = corrupt(x, jax.random.PRNGKey(0), "masking", 0.25)
  assert abs(float(jnp.mean(masked == 0)) - 0.25) < 0.01
  assert set(np.unique(np.asarray(masked))) <= {0.0, 1.0}
  np.testing.assert_array_equal(corrupt(x, jax.random.PRNGKey(0), "", 0.3), x)


@pytest.mark.parametrize("name,shape", [("mlp", (8, 8, 1)), ("conv", (8, 8, 1)), ("conv", (28, 28, 1)),
                                        ("mlp", (2,))])
def test_models_reconstruct_the_input_shape(name, shape):
  model = build_autoencoder(model_config(name, latent_dim=7, code_activation="linear"), shape)
  x = jnp.zeros((5, *shape))
  (z, logits), _ = model.init_with_output(jax.random.PRNGKey(0), x)
  assert z.shape == (5, 7) and logits.shape == x.shape


def test_conv_model_rejects_an_indivisible_image_size():
  with pytest.raises(config_lib.ConfigError, match="divisible by 4"):
    build_autoencoder(model_config("conv"), (6, 6, 1))

"""Trains the digits feature extractor (``jaxgen.eval.features.digits``) and writes its weights.

  python scripts/train_digits_classifier.py [--out jaxgen/eval/features/digits_classifier.npz]

Trains on the digits TRAIN split only (1,497 images, [0, 1] scale, not dequantized) from seed 0,
then reports accuracy on the 300-image test split. Adam with a cosine-decayed learning rate and
decoupled weight decay, batch 64. Two augmentations, drawn per example in the jitted step:
- a random shift of up to 1 pixel in each direction (zero padding), for position tolerance;
- uniform noise of +-half a grey level (+-1/32), clipped to [0, 1], so the classifier sees
  continuous values between the 17 stored levels, as generated samples have.
Deterministic on the CPU: the same seed gives the same file and the same ``weights_hash``.
"""

import argparse
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jaxgen.data import dataset_info, load
from jaxgen.eval.features.digits import DEFAULT_WEIGHTS_PATH, DigitsClassifier
from jaxgen.eval.features.weights import file_hash, save_weights

BATCH_SIZE = 64
NUM_STEPS = 1500
LEARNING_RATE = 3e-3
WEIGHT_DECAY = 1e-4
MAX_SHIFT = 1


def augment(rng: jax.Array, images: jax.Array, num_levels: int) -> jax.Array:
  """images: [B, H, W, C] in [0, 1] -> randomly shifted, noised images [B, H, W, C] in [0, 1]."""
  shift_rng, noise_rng = jax.random.split(rng)
  batch, height, width, channels = images.shape
  padded = jnp.pad(images, ((0, 0), (MAX_SHIFT, MAX_SHIFT), (MAX_SHIFT, MAX_SHIFT), (0, 0)))
  offsets = jax.random.randint(shift_rng, (batch, 2), 0, 2 * MAX_SHIFT + 1)
  shifted = jax.vmap(lambda image, offset: jax.lax.dynamic_slice(
      image, (offset[0], offset[1], 0), (height, width, channels)))(padded, offsets)
  half_level = 0.5 / (num_levels - 1)
  noise = jax.random.uniform(noise_rng, shifted.shape, minval=-half_level, maxval=half_level)
  return jnp.clip(shifted + noise, 0.0, 1.0)


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--out", default=DEFAULT_WEIGHTS_PATH, help="where to write the .npz")
  parser.add_argument("--seed", type=int, default=0)
  args = parser.parse_args()

  info = dataset_info("digits")
  model = DigitsClassifier()
  init_key, train_key = jax.random.split(jax.random.key(args.seed))
  variables = model.init(init_key, jnp.zeros((1, *info.shape), jnp.float32))
  schedule = optax.cosine_decay_schedule(LEARNING_RATE, NUM_STEPS)
  optimizer = optax.adamw(schedule, weight_decay=WEIGHT_DECAY)
  opt_state = optimizer.init(variables)

  @jax.jit
  def train_step(variables, opt_state, images, labels, rng):
    def loss_fn(variables):
      _, logits = model.apply(variables, augment(rng, images, info.num_levels))
      return optax.softmax_cross_entropy_with_integer_labels(logits, labels).mean()

    loss, grads = jax.value_and_grad(loss_fn)(variables)
    updates, opt_state = optimizer.update(grads, opt_state, variables)
    return optax.apply_updates(variables, updates), opt_state, loss

  start = time.perf_counter()
  train_stream = load("digits", "train", BATCH_SIZE, seed=args.seed, scale="0_1")
  for step, batch in zip(range(NUM_STEPS), train_stream):
    variables, opt_state, loss = train_step(variables, opt_state, batch["image"], batch["label"],
                                            jax.random.fold_in(train_key, step))
    if step % 500 == 0 or step == NUM_STEPS - 1:
      print(f"step {step:5d}  loss {float(loss):.4f}")

  correct = total = 0
  for batch in load("digits", "test", 100, scale="0_1", repeat=False):
    _, logits = model.apply(variables, batch["image"])
    hits = np.asarray(jnp.argmax(logits, axis=-1)) == batch["label"]
    correct += int((hits * batch["mask"]).sum())
    total += int(batch["mask"].sum())
  save_weights(variables, args.out)
  print(f"test accuracy {correct / total:.4f} ({correct}/{total}); trained in "
        f"{time.perf_counter() - start:.1f} s; wrote {args.out} "
        f"(weights_hash {file_hash(args.out)})")


if __name__ == "__main__":
  main()

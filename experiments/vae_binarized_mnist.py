"""VAE (Kingma & Welling 2014) on binarized MNIST (TFDS) as Pythae reproduced it.

Larochelle & Murray's binarization; 400 ReLU units, 40 latents, Adam 1e-3, batch 100, 1,000
epochs; a cosine decay to 1e-4 stands in for Pythae's step decay.

Launch:   jaxgen train --config experiments/vae_binarized_mnist.py --workdir runs/vae_bin_mnist
Evaluate: jaxgen eval --workdir runs/vae_bin_mnist
Data:     binarized_mnist, prepared offline (README, "Real data").
Paper:    Pythae (Chadebec et al. 2022), reproduced VAE: test NLL (k=200) 89.78 nats; Rezende &
          Mohamed 2015, Table 2: 89.9. Not run here (needs the data).
``:smoke`` runs on ``mnist`` thresholded at 128 (TFDS mock data are not binary).
"""

import _vae_base
from jaxgen.core.config import reproduce

EPOCH_STEPS = 500  # 50,000 training images / batch 100


def get_config(arg=None):
  config = _vae_base.get_config(arg)
  config.description = "VAE on binarized MNIST (Pythae's reproduction: 400 ReLU, latent 40)"
  config.data.name = "binarized_mnist"
  if arg == "smoke":  # TFDS's mock data fills images with 0..255, never a binary image.
    config.data.name, config.data.binarize = "mnist", "fixed"
  config.model.hidden = (400,)
  config.model.latent_dim = 40
  config.eval.fid_extractor = ""  # the digits classifier sees 8x8 digits only
  if arg != "smoke":
    config.eval.num_importance_samples = 200  # the reference's NLL protocol
    config.train.num_steps = 1000 * EPOCH_STEPS
    config.train.batch_size = 100
    config.optimizer.learning_rate = 1e-3
    config.optimizer.schedule = "cosine"
    config.optimizer.final_lr_factor = 0.1
    config.optimizer.warmup_steps = 0
    config.log_every = 1000
    config.eval_every = 50 * EPOCH_STEPS
    config.checkpoint_every = 10 * EPOCH_STEPS
  reproduce(config, ('nll_iwae ~= 89.78 +- 1.0',),
            source="Pythae's reproduced VAE (Chadebec et al. 2022)",
            paper='89.78',
            protocol='IWAE k=200, dynamically binarized MNIST test',
            compute='GPU; not run here (needs TFDS MNIST)')
  return config

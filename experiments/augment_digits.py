"""The augmentation study on 8x8 digits: a fixed small CNN on k labelled images per class, alone,
with classical augmentation, with a conditional generator's samples, and M1+M2's own classifier.

One classifier: jaxgen train --config experiments/augment_digits.py --workdir runs/aug_k10
The study:      jaxgen augment --config experiments/augment_digits.py --root runs/augment_digits
                [--methods real,classical] [--labels 10] [--seeds 0,1,2,3,4]
Expected (test accuracy, 5 seeds): real 0.930 +- 0.021 and classical 0.965 +- 0.010 at k = 10;
the whole table in docs/results.md (Augmentation). One classifier: ~20 s on 2 CPU cores.
"""

import ml_collections

from jaxgen.core.config import base_config, smoke


def get_config(arg=None):
  config = base_config()
  config.family = "classifier"
  config.description = "Small CNN on k labelled 8x8 digits per class (the augmentation study)"
  config.data.name = "digits"
  config.data.labels_per_class = 10
  config.loss.name = "cross_entropy"
  config.model.widths = (32, 64)  # the digits feature network's, trained from scratch here
  config.model.feature_dim = 64
  config.train.num_steps = 600
  config.train.batch_size = 32  # at most the 50 images of 5 labels per class
  config.optimizer.name = "adamw"
  config.optimizer.learning_rate = 3e-3
  config.optimizer.weight_decay = 1e-4
  config.optimizer.schedule = "cosine"
  config.log_every = 100
  config.eval_every = 200
  config.checkpoint_every = 600

  config.study = ml_collections.ConfigDict()
  config.study.labels_per_class = (5, 10, 50, 0)  # 0: every label
  config.study.seeds = (0, 1, 2, 3, 4)
  config.study.methods = ("real", "classical", "cgan", "cond_ddpm", "cond_ddpm_labelled", "ssvae")
  config.study.flip = False  # a mirrored digit is another glyph
  config.study.synthetic_per_class = 100
  # A generator: its config (beside this file), overrides for training, overrides for sampling.
  config.study.generators = ml_collections.ConfigDict({
      # Semi-supervised: unlabelled images train the null label of classifier-free guidance.
      "cond_ddpm": dict(config="cond_ddpm_digits.py", overrides=("data.unlabelled=keep",),
                        sample_overrides=()),
      # The labelled images alone (batches of 50 fit the 50 of k = 5).
      "cond_ddpm_labelled": dict(config="cond_ddpm_digits.py", overrides=("train.batch_size=50",),
                                 sample_overrides=()),
      # The cGAN learns from labelled images only: batches of 50 fit the 50 of k = 5.
      "cgan": dict(config="cgan_digits.py", overrides=("train.batch_size=50",),
                   sample_overrides=())})
  config.study.classifiers = ml_collections.ConfigDict({
      "ssvae": dict(config="ssvae_digits.py", overrides=())})
  if arg == "smoke":
    smoke(config)
  return config

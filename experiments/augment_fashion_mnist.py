"""The augmentation study on Fashion-MNIST (28x28): augment_digits with the Fashion-MNIST feature
network's CNN, left-right flips in the classical augmentation, and the Fashion-MNIST generators.

One classifier: jaxgen train --config experiments/augment_fashion_mnist.py --workdir runs/aug_fm
The study:      jaxgen augment --config experiments/augment_fashion_mnist.py --root runs/aug_fm
                [--methods real,classical] [--labels 10] [--seeds 0,1,2,3,4]
Expected: measured in docs/results.md (Augmentation). A generator cell trains a 28x28 model
(hours on 2 CPU cores): a GPU's work.
Data:     fashion_mnist (Debian's dataset-fashion-mnist, read offline).
"""

import augment_digits


def get_config(arg=None):
  config = augment_digits.get_config(arg)
  config.description = "Small CNN on k labelled Fashion-MNIST images per class (augmentation study)"
  config.data.name = "fashion_mnist"
  config.model.widths = (32, 64, 128)  # the Fashion-MNIST feature network's
  config.model.feature_dim = 128
  config.study.flip = True  # a mirrored garment is the same garment
  # Conditional versions of the Fashion-MNIST generators (the same models, labels added).
  config.study.generators.cond_ddpm.config = "ddpm_fashion_mnist.py"
  config.study.generators.cond_ddpm.overrides = (
      "model.class_conditional=True", "model.label_dropout=0.1", "data.unlabelled=keep")
  config.study.generators.cond_ddpm_labelled.config = "ddpm_fashion_mnist.py"
  config.study.generators.cond_ddpm_labelled.overrides = (
      "model.class_conditional=True", "model.label_dropout=0.1", "train.batch_size=50")
  config.study.generators.cgan.config = "dcgan_fashion_mnist.py"
  config.study.generators.cgan.overrides = ("model.conditional=True",
                                            "model.conditioning=projection",
                                            "train.batch_size=50")
  config.study.classifiers.ssvae.config = "ssvae_fashion_mnist.py"
  if arg != "smoke":
    config.train.num_steps = 1000
    config.eval_every = 1000  # validation accuracy is flat from step 250 at k = 10 (0.708-0.710)
  return config

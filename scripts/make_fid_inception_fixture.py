"""Writes tests/fixtures/fid_inception_random.npz: pytorch-fid's FID Inception on random weights.

The fixture lets ``tests/test_eval_fid_inception.py`` prove, without torch, that jaxgen's Flax
network computes what pytorch-fid's ``FIDInceptionV3`` computes: it holds the state dict's names
and shapes, and pool3 features and 1008 logits of pytorch-fid's network for weights and images
drawn from a seed (``tests/fid_inception_random.py``, shared with the test). Needs torch,
torchvision and pytorch-fid (no network: the random weights replace the download):

    pip install torch torchvision pytorch-fid==0.3.0
    python scripts/make_fid_inception_fixture.py
"""

import json
import os
import sys
import types

import numpy as np
import torch

# torchvision registers fake kernels for its C ops (nms, ...) at import; a wheel whose C library
# does not load beside this torch fails there. The Inception modules are plain Python and need none.
sys.modules.setdefault("torchvision._meta_registrations",
                       types.ModuleType("torchvision._meta_registrations"))

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
import fid_inception_random as fixture  # noqa: E402
from pytorch_fid import inception as pytorch_fid_inception  # noqa: E402


def main() -> None:
  shapes = {}

  def random_weights(url, progress=True):  # stands in for the download of the real weights
    del url, progress
    return {name: torch.from_numpy(value) for name, value in fixture.random_state_dict(
        fixture.SEED, list(shapes), list(shapes.values())).items()}

  skeleton = pytorch_fid_inception._inception_v3(num_classes=1008, aux_logits=False, weights=None)
  pytorch_fid_inception.load_state_dict_from_url = random_weights
  shapes.update({name: tuple(t.shape) for name, t in skeleton.state_dict().items()})
  network = pytorch_fid_inception.fid_inception_v3().eval()  # loads strictly: every name fits
  images = torch.from_numpy(fixture.random_images(fixture.SEED)).permute(0, 3, 1, 2)
  features = {}
  network.avgpool.register_forward_hook(lambda m, i, out: features.update(pool3=out.flatten(1)))
  with torch.no_grad():
    logits = network(images)
  np.savez(fixture.FIXTURE, names_shapes=json.dumps(list(shapes.items())),
           pool3=features["pool3"].numpy(), logits=logits.numpy(),
           versions=json.dumps({"torch": torch.__version__, "pytorch_fid": "0.3.0"}))
  print(f"wrote {fixture.FIXTURE}: pool3 {tuple(features['pool3'].shape)}, "
        f"logits {tuple(logits.shape)}")


if __name__ == "__main__":
  main()

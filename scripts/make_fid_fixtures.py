"""Writes the fixtures that let the FID tests compare with reference implementations without torch.

Everything is drawn from seeds in ``tests/fid_inception_random.py`` (shared with the tests):
- ``fid_inception_random.npz``: pytorch-fid's ``FIDInceptionV3`` on random weights (its state
  dict's names and shapes, pool3 features and 1008 logits of two random 299x299 images);
- ``fid_resize.npz``: ``F.interpolate(bilinear, align_corners=False)`` (pytorch-fid) and
  clean-fid's ``make_resizer("PIL", False, "bicubic")`` on uint8-valued images, up- and
  downsampled to 75x75 (299 would make it 50x larger; the functions take any size);
- ``fid_frechet.npz``: pytorch-fid's ``calculate_frechet_distance`` on two random Gaussians.

    pip install torch torchvision clean-fid pytorch-fid==0.3.0   # no network needed after that
    python scripts/make_fid_fixtures.py
"""

import json
import os
import sys
import types

import numpy as np
import torch
import torch.nn.functional as F

# torchvision registers fake kernels for its C ops (nms, ...) at import; a wheel whose C library
# does not load beside this torch fails there. The Inception modules are plain Python and need none.
sys.modules.setdefault("torchvision._meta_registrations",
                       types.ModuleType("torchvision._meta_registrations"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
import fid_inception_random as fixture  # noqa: E402
from cleanfid.resize import make_resizer  # noqa: E402
from pytorch_fid import inception as pytorch_fid_inception  # noqa: E402
from pytorch_fid.fid_score import calculate_frechet_distance  # noqa: E402


def network_fixture() -> None:
  shapes = {}

  def random_weights(url, progress=True):  # stands in for the download of the real weights
    del url, progress
    return {name: torch.from_numpy(value) for name, value in fixture.random_state_dict(
        fixture.SEED, list(shapes), list(shapes.values())).items()}

  skeleton = pytorch_fid_inception._inception_v3(num_classes=1008, aux_logits=False, weights=None)
  shapes.update({name: tuple(t.shape) for name, t in skeleton.state_dict().items()})
  pytorch_fid_inception.load_state_dict_from_url = random_weights
  network = pytorch_fid_inception.fid_inception_v3().eval()  # loads strictly: every name fits
  images = torch.from_numpy(fixture.random_images(fixture.SEED)).permute(0, 3, 1, 2)
  features = {}
  network.avgpool.register_forward_hook(lambda m, i, out: features.update(pool3=out.flatten(1)))
  with torch.no_grad():
    logits = network(images)
  np.savez(fixture.FIXTURE, names_shapes=json.dumps(list(shapes.items())),
           pool3=features["pool3"].numpy(), logits=logits.numpy(),
           versions=json.dumps({"torch": torch.__version__, "pytorch_fid": "0.3.0"}))


def resize_fixture() -> None:
  arrays = {}
  size = (fixture.RESIZE_SIZE, fixture.RESIZE_SIZE)
  clean = make_resizer("PIL", False, "bicubic", size)
  for input_size in fixture.RESIZE_INPUT_SIZES:
    images = fixture.resize_inputs(input_size)  # [B, H, W, 3] in [0, 1], multiples of 1/255
    resized = F.interpolate(torch.from_numpy(images).permute(0, 3, 1, 2), size=size,
                            mode="bilinear", align_corners=False)
    arrays[f"pytorch_fid_{input_size}"] = resized.permute(0, 2, 3, 1).numpy()
    levels = np.round(images * 255).astype(np.uint8)
    arrays[f"clean_{input_size}"] = np.stack([clean(image) for image in levels])
  np.savez(fixture.RESIZE_FIXTURE, **arrays)


def frechet_fixture() -> None:
  np.savez(fixture.FRECHET_FIXTURE, fid=calculate_frechet_distance(*fixture.frechet_moments()))


if __name__ == "__main__":
  for make in (network_fixture, resize_fixture, frechet_fixture):
    make()
  print(f"wrote {os.path.dirname(fixture.FIXTURE)}/fid_*.npz")

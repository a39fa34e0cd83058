"""``jaxgen fid A B``: FID and KID between two sets of images.

A and B are each
- a ``.npz`` file holding the array ``samples`` (or a single array of any name): images
  [N, H, W, C], float in [0, 1] (as ``jaxgen sample --out F.npz`` writes for a [0, 1] dataset;
  map [-1, 1] samples with (x + 1) / 2 first) or uint8 0..255 (divided by 255);
- a folder of PNG images, read with Pillow in file-name order: grey (mode L, or 1 as 0/255) or
  RGB, 8 bits per channel, divided by 255. Hidden files (".name") are skipped; any other file
  that is not a PNG is an error. PNG is lossless, so uint8 images give identical values either
  way.
Images stay in their stored dtype and are scaled batch by batch, so a folder costs its uint8 size
in memory. FID streams (``jaxgen.eval.reference``); KID uses the features of at most 5,000 images
per side (``KID_MAX_SAMPLES``, a seeded random subset beyond that).
"""

import os
import zipfile

import numpy as np
from PIL import Image, UnidentifiedImageError

from jaxgen.errors import ConfigError, DataError
from jaxgen.eval.checks import check_parameter, check_unit_interval
from jaxgen.eval.features import get_extractor
from jaxgen.eval.frechet import fid_from_statistics
from jaxgen.eval.kernel import kid
from jaxgen.eval.reference import array_batches, kid_rows, stream_statistics

_GREY_OR_RGB = {"1": "L", "L": "L", "RGB": "RGB"}  # Pillow mode -> the mode read as.


def read_images(path: str) -> np.ndarray:
  """Images [N, H, W, C] from a .npz or a folder of PNGs: uint8 0..255 or float32 in [0, 1]."""
  if os.path.isdir(path):
    return _read_png_folder(path)
  if not os.path.exists(path):
    raise DataError(f"{path!r}: expected a .npz file or a folder of PNG images, found nothing")
  if not path.endswith(".npz"):
    raise DataError(f"{path!r}: expected a .npz file or a folder of PNG images")
  return _read_npz(path)


def _read_png_folder(folder: str) -> np.ndarray:
  names = sorted(name for name in os.listdir(folder) if not name.startswith("."))
  if not names:
    raise DataError(f"{folder!r}: expected PNG images, found an empty folder")
  images = []
  for name in names:
    path = os.path.join(folder, name)
    if not (name.lower().endswith(".png") and os.path.isfile(path)):
      raise DataError(f"{path!r}: expected only PNG images in {folder!r}, got another file")
    try:
      with Image.open(path) as picture:
        if picture.format != "PNG" or picture.mode not in _GREY_OR_RGB:
          raise DataError(f"{path!r}: expected an 8-bit grey or RGB PNG, got a "
                          f"{picture.format} image of mode {picture.mode}")
        image = np.asarray(picture.convert(_GREY_OR_RGB[picture.mode]))
    except (UnidentifiedImageError, OSError) as e:
      raise DataError(f"{path!r}: expected a readable PNG image ({e})") from e
    image = image[..., None] if image.ndim == 2 else image
    if images and image.shape != images[0].shape:
      raise DataError(f"{path!r}: expected the shape {images[0].shape} of {names[0]!r} "
                      f"(every image alike), got {image.shape}")
    images.append(image)
  return np.stack(images)


def _read_npz(path: str) -> np.ndarray:
  try:
    loaded = np.load(path, allow_pickle=False)
    if isinstance(loaded, np.ndarray):  # .npy contents under a .npz name: that one array.
      arrays = {"samples": loaded}
    else:
      with loaded as archive:
        arrays = {name: archive[name] for name in archive.files}
  except (OSError, ValueError, zipfile.BadZipFile) as e:
    raise DataError(f"{path!r}: expected a .npz of plain arrays, readable without pickle "
                    f"({e})") from e
  if "samples" not in arrays and len(arrays) != 1:
    raise DataError(f"{path!r}: expected an array 'samples' or a single array, got {list(arrays)}")
  images = arrays["samples"] if "samples" in arrays else next(iter(arrays.values()))
  if "value_range" in arrays:  # `jaxgen sample` records it: e.g. DDPM's [-1, 1] -> [0, 1].
    low, high = (float(v) for v in np.asarray(arrays["value_range"]).reshape(2))
    images = (images.astype(np.float32) - low) / np.float32(high - low)
  if images.ndim != 4 or images.shape[0] == 0:
    raise DataError(f"{path!r}: expected images [N, H, W, C] with N >= 1, got shape "
                    f"{list(images.shape)}")
  if images.dtype == np.uint8:
    return images
  if not np.issubdtype(images.dtype, np.floating):
    raise DataError(f"{path!r}: expected float images in [0, 1] or uint8 0..255, got "
                    f"{images.dtype}")
  return check_unit_interval(images.astype(np.float32), repr(path))


def _unit_batches(images: np.ndarray, batch_size: int):
  """Batches of ``images`` as float32 in [0, 1]: uint8 divided by 255, one batch at a time."""
  for batch in array_batches(images, batch_size):
    yield batch / np.float32(255) if batch.dtype == np.uint8 else batch


def fid_main(path_a: str, path_b: str, features: str = "digits",
             inception_weights: str | None = None, batch_size: int = 256) -> dict:
  """FID and KID between the images at ``path_a`` and ``path_b`` (see the module docstring).

  Args:
    features: a feature extractor name (``jaxgen.eval.features.EXTRACTORS``).
    inception_weights: the Inception-v3 .npz for ``features="inception"`` (default
      ``$JAXGEN_INCEPTION_WEIGHTS``).
    batch_size: images per streamed batch.
  Returns (and prints): ``fid``, ``kid``, ``kid_std``, ``num_a``, ``num_b``, ``kid_num_a``,
  ``kid_num_b`` (rows KID used) and the extractor's ``describe()``.
  """
  check_parameter(batch_size, 1, "batch_size")
  if inception_weights is not None and features != "inception":
    raise ConfigError(f"inception_weights: expected only with features 'inception', got "
                      f"features {features!r}")
  images_a, images_b = read_images(path_a), read_images(path_b)
  if images_a.shape[1:] != images_b.shape[1:]:
    raise DataError(f"{path_a!r} and {path_b!r}: expected images of the same shape, got "
                    f"{list(images_a.shape[1:])} and {list(images_b.shape[1:])}")
  extractor = get_extractor(features, **(
      {"weights_path": inception_weights} if inception_weights is not None else {}))
  statistics_a, kid_features_a = stream_statistics(
      _unit_batches(images_a, batch_size), extractor, kid_rows(len(images_a)))
  statistics_b, kid_features_b = stream_statistics(
      _unit_batches(images_b, batch_size), extractor, kid_rows(len(images_b)))
  kid_mean, kid_std = kid(kid_features_a, kid_features_b)
  result = {"fid": fid_from_statistics(statistics_a, statistics_b), "kid": kid_mean,
            "kid_std": kid_std, "num_a": len(images_a), "num_b": len(images_b),
            "kid_num_a": len(kid_features_a), "kid_num_b": len(kid_features_b),
            **extractor.describe()}
  print(f"FID {result['fid']:.4f}  KID {kid_mean:.5f} ± {kid_std:.5f}  "
        f"({len(images_a)} vs {len(images_b)} images; {extractor.name} features, "
        f"weights {extractor.weights_hash})")
  return result

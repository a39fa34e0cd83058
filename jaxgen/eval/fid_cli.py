"""``jaxgen fid A B``: FID and KID between two sets of images; ``jaxgen fid --stats A --out F``.

A and B are each
- a statistics ``.npz`` with arrays ``mu`` [D] and ``sigma`` [D, D]: pytorch-fid's and TTUR's
  format, so published reference statistics (e.g. CIFAR-10 train) are used as they are; FID only
  (KID needs features). ``--stats A --out F`` writes A's statistics in that format (plus
  ``count`` and the extractor's description, which those tools ignore);
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

import json
import os
import zipfile

import numpy as np
from PIL import Image, UnidentifiedImageError

from jaxgen.errors import ConfigError, DataError
from jaxgen.eval.checks import check_parameter, check_unit_interval
from jaxgen.eval.features import configured_extractor
from jaxgen.eval.frechet import fid_from_statistics, frechet_distance
from jaxgen.eval.kernel import kid
from jaxgen.eval.reference import array_batches, kid_rows, read_statistics, stream_statistics

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
             inception_weights: str | None = None, batch_size: int = 256,
             resize: str | None = None) -> dict:
  """FID (and KID when both sides are images) between ``path_a`` and ``path_b`` (see the module
  docstring).

  Args:
    features: a feature extractor name (``jaxgen.eval.features.EXTRACTORS``).
    inception_weights: the .npz for ``features="inception"`` (the FID Inception; default
      ``$JAXGEN_FID_WEIGHTS``) or ``"inception_keras"`` (``$JAXGEN_KERAS_INCEPTION_WEIGHTS``).
    batch_size: images per streamed batch.
    resize: the FID Inception's resize mode (``legacy_tf``, ``pytorch_fid``, ``clean``).
  Returns (and prints): ``fid``, ``num_a``, ``num_b`` (None for statistics files), with two
  image sets ``kid``, ``kid_std``, ``kid_num_a``, ``kid_num_b``, and the extractor's
  ``describe()`` when images were read.
  """
  check_parameter(batch_size, 1, "batch_size")
  extractor = configured_extractor(features, inception_weights, resize)
  inputs = [read_statistics(path) for path in (path_a, path_b)]
  inputs = [("moments", moments) if moments is not None else ("images", read_images(path))
            for moments, path in zip(inputs, (path_a, path_b))]
  shapes = [value.shape[1:] for kind, value in inputs if kind == "images"]
  if len(shapes) == 2 and shapes[0] != shapes[1]:
    raise DataError(f"{path_a!r} and {path_b!r}: expected images of the same shape, got "
                    f"{list(shapes[0])} and {list(shapes[1])}")
  sides = []
  for kind, value in inputs:
    if kind == "moments":
      sides.append({"moments": value, "num": None})
      continue
    statistics, kid_features = stream_statistics(_unit_batches(value, batch_size), extractor,
                                                 kid_rows(len(value)))
    sides.append({"moments": (statistics.mean, statistics.covariance), "num": len(value),
                  "statistics": statistics, "kid_features": kid_features})
  a, b = sides
  if len(a["moments"][0]) != len(b["moments"][0]):
    raise DataError(f"{path_a!r} and {path_b!r}: features of {len(a['moments'][0])} and "
                    f"{len(b['moments'][0])} dimensions (another extractor made one side)")
  if "statistics" in a and "statistics" in b:
    fid = fid_from_statistics(a["statistics"], b["statistics"])
  else:
    fid = frechet_distance(*a["moments"], *b["moments"])
  result = {"fid": fid, "num_a": a["num"], "num_b": b["num"]}
  if "kid_features" in a and "kid_features" in b:
    kid_mean, kid_std = kid(a["kid_features"], b["kid_features"])
    result.update(kid=kid_mean, kid_std=kid_std, kid_num_a=len(a["kid_features"]),
                  kid_num_b=len(b["kid_features"]))
  if a["num"] is not None or b["num"] is not None:
    result.update(extractor.describe())
  kid_text = f"  KID {result['kid']:.5f} ± {result['kid_std']:.5f}" if "kid" in result else ""
  print(f"FID {fid:.4f}{kid_text}  ({a['num'] or 'statistics'} vs {b['num'] or 'statistics'}; "
        f"{extractor.name} features, weights {extractor.weights_hash})")
  return result


def stats_main(path: str, out: str, features: str = "digits",
               inception_weights: str | None = None, batch_size: int = 256,
               resize: str | None = None) -> dict:
  """Writes the feature statistics of the images at ``path`` to ``out`` (pytorch-fid's format:
  ``mu``, ``sigma``; plus ``count`` and ``extractor``, the JSON of its ``describe()``)."""
  check_parameter(batch_size, 1, "batch_size")
  if not out.endswith(".npz"):
    raise ConfigError(f"--out {out!r}: expected a .npz file name")
  extractor = configured_extractor(features, inception_weights, resize)
  images = read_images(path)
  statistics, _ = stream_statistics(_unit_batches(images, batch_size), extractor)
  described = extractor.describe()
  np.savez(out, mu=statistics.mean, sigma=statistics.covariance, count=statistics.count,
           extractor=json.dumps(described))
  print(f"wrote {out}: statistics of {statistics.count} images in {extractor.name} features")
  return {"count": statistics.count, **described}

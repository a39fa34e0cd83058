"""``jaxgen fid A B``: folders of PNGs and .npz files give the FID and KID of the Python API on the
same arrays; bad inputs are one-line DataErrors."""


import numpy as np
import pytest
from PIL import Image

from jaxgen.data import load
from jaxgen.errors import ConfigError, DataError
from jaxgen.eval import fid_from_features, kid
from jaxgen.eval.features import get_extractor
from jaxgen import cli
from jaxgen.eval.fid_cli import fid_main


def digits_uint8(split: str, num: int) -> np.ndarray:
  """The first ``num`` images of a digits split as uint8 0..255 [num, 8, 8, 1]."""
  images = next(iter(load("digits", split, 2048, scale="0_1", repeat=False)))["image"][:num]
  return np.round(images * 255).astype(np.uint8)


def write_pngs(folder, images: np.ndarray) -> str:
  folder.mkdir()
  for index, image in enumerate(images):
    Image.fromarray(image[..., 0] if image.shape[-1] == 1 else image).save(
        folder / f"{index:04d}.png")
  return str(folder)


@pytest.fixture(scope="module")
def image_sets():
  return digits_uint8("test", 300), digits_uint8("train", 400)


@pytest.fixture(scope="module")
def folders(tmp_path_factory, image_sets):
  root = tmp_path_factory.mktemp("fid")
  return write_pngs(root / "a", image_sets[0]), write_pngs(root / "b", image_sets[1])


@pytest.fixture(scope="module")
def expected(image_sets):
  """FID and KID through the Python API on the same values PNG round trip gives (uint8 / 255)."""
  extractor = get_extractor("digits")
  features_a, features_b = (extractor.features(images / np.float32(255)) for images in image_sets)
  return fid_from_features(features_a, features_b), kid(features_a, features_b)


def test_png_folders_give_the_python_api_fid(folders, expected, capsys):
  result = fid_main(*folders)
  np.testing.assert_allclose(result["fid"], expected[0], rtol=1e-6)
  np.testing.assert_allclose((result["kid"], result["kid_std"]), expected[1], rtol=1e-6)
  assert (result["num_a"], result["num_b"], result["extractor"]) == (300, 400, "digits")
  assert result["weights_hash"] == get_extractor("digits").weights_hash
  assert f"FID {expected[0]:.4f}" in capsys.readouterr().out


def test_npz_inputs_uint8_and_float(tmp_path, image_sets, expected):
  path_a, path_b = str(tmp_path / "a.npz"), str(tmp_path / "b.npz")
  np.savez(path_a, samples=image_sets[0])  # uint8 0..255
  np.savez(path_b, images=image_sets[1] / np.float32(255))  # the only array, float in [0, 1]
  np.testing.assert_allclose(fid_main(path_a, path_b)["fid"], expected[0], rtol=1e-6)


def test_jaxgen_fid_command_prints_the_api_value(folders, expected, capsys):
  assert cli.main(["fid", *folders, "--features", "digits", "--batch-size", "64"]) == 0
  assert f"FID {expected[0]:.4f}" in capsys.readouterr().out


def test_jaxgen_fid_command_errors_are_one_line(tmp_path, capsys):
  (tmp_path / "empty").mkdir()
  assert cli.main(["fid", str(tmp_path / "empty"), str(tmp_path / "empty")]) == 2
  err = capsys.readouterr().err.strip()
  assert err.startswith("jaxgen fid: error: ") and "empty folder" in err and len(err.splitlines()) == 1


def test_folder_errors(tmp_path, folders):
  (tmp_path / "empty").mkdir()
  with pytest.raises(DataError, match="empty folder"):
    fid_main(str(tmp_path / "empty"), folders[1])
  mixed = write_pngs(tmp_path / "mixed", np.zeros((2, 8, 8, 1), np.uint8))
  (tmp_path / "mixed" / "notes.txt").write_text("not an image")
  with pytest.raises(DataError, match="notes.txt.*expected only PNG images"):
    fid_main(mixed, folders[1])
  fake = write_pngs(tmp_path / "fake", np.zeros((1, 8, 8, 1), np.uint8))
  (tmp_path / "fake" / "broken.png").write_bytes(b"not a png")
  with pytest.raises(DataError, match="broken.png.*expected a readable PNG"):
    fid_main(fake, folders[1])
  sizes = write_pngs(tmp_path / "sizes", np.zeros((1, 8, 8, 1), np.uint8))
  Image.fromarray(np.zeros((9, 9), np.uint8)).save(tmp_path / "sizes" / "big.png")
  with pytest.raises(DataError, match=r"big.png.*expected the shape \(8, 8, 1\)"):
    fid_main(sizes, folders[1])
  rgb = write_pngs(tmp_path / "rgb", np.zeros((2, 8, 8, 3), np.uint8))
  with pytest.raises(DataError, match="expected images of the same shape"):
    fid_main(rgb, folders[1])
  with pytest.raises(DataError, match="found nothing"):
    fid_main(str(tmp_path / "absent"), folders[1])


def test_npz_errors(tmp_path, folders):
  cases = {
      "nan.npz": dict(samples=np.full((4, 8, 8, 1), np.nan, np.float32)),
      "signed.npz": dict(samples=np.full((4, 8, 8, 1), -0.5, np.float32)),
      "int.npz": dict(samples=np.zeros((4, 8, 8, 1), np.int64)),
      "flat.npz": dict(samples=np.zeros((4, 64), np.float32)),
      "two.npz": dict(x=np.zeros((4, 8, 8, 1)), y=np.zeros((4, 8, 8, 1))),
  }
  messages = {"nan.npz": "expected finite", "signed.npz": r"expected images in \[0, 1\]",
              "int.npz": "got int64", "flat.npz": r"expected images \[N, H, W, C\]",
              "two.npz": "expected an array 'samples' or a single array"}
  for name, arrays in cases.items():
    np.savez(tmp_path / name, **arrays)
    with pytest.raises(DataError, match=messages[name]):
      fid_main(str(tmp_path / name), folders[1])
  (tmp_path / "text.csv").write_text("1,2")
  with pytest.raises(DataError, match="expected a .npz file or a folder of PNG images"):
    fid_main(str(tmp_path / "text.csv"), folders[1])


def test_inception_weights_need_inception_features(folders):
  with pytest.raises(ConfigError, match="weights 'weights.npz': expected only with features"):
    fid_main(*folders, inception_weights="weights.npz")


def test_statistics_files_in_pytorch_fids_format_give_pytorch_fids_fid(tmp_path):
  """mu / sigma files as pytorch-fid and TTUR write them; the FID of pytorch-fid's
  calculate_frechet_distance on the same moments (tests/fixtures/fid_frechet.npz)."""
  import fid_inception_random as fixture

  mu1, sigma1, mu2, sigma2 = fixture.frechet_moments()
  np.savez(tmp_path / "a.npz", mu=mu1, sigma=sigma1)
  np.savez(tmp_path / "b.npz", mu=mu2, sigma=sigma2)
  with np.load(fixture.FRECHET_FIXTURE) as stored:
    reference = float(stored["fid"])
  result = fid_main(str(tmp_path / "a.npz"), str(tmp_path / "b.npz"))
  np.testing.assert_allclose(result["fid"], reference, rtol=1e-6)
  assert "kid" not in result and result["num_a"] is None


def test_stats_written_by_jaxgen_stand_in_for_their_images(folders, expected, tmp_path, capsys):
  out_a, out_b = str(tmp_path / "a_stats.npz"), str(tmp_path / "b_stats.npz")
  assert cli.main(["fid", "--stats", folders[0], "--out", out_a]) == 0
  assert cli.main(["fid", "--stats", folders[1], "--out", out_b]) == 0
  with np.load(out_a) as stored:
    assert stored["mu"].shape == (stored["sigma"].shape[0],) and int(stored["count"]) == 300
    assert '"extractor": "digits"' in str(stored["extractor"])
  for a, b in ((out_a, out_b), (folders[0], out_b), (out_a, folders[1])):
    np.testing.assert_allclose(fid_main(a, b)["fid"], expected[0], rtol=1e-5)
  assert cli.main(["fid", folders[0], "--reference", out_b]) == 0
  capsys.readouterr()
  assert cli.main(["fid", folders[0]]) == 2
  assert "give A and B" in capsys.readouterr().err

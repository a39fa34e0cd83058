"""What a run writes: ``metrics.jsonl``, TensorBoard events, sample grids, ``config.json``.

Only process 0 writes; other processes get a writer that does nothing.
"""

import json
import math
import os
from typing import Callable, Mapping, Optional, Sequence

import numpy as np
from PIL import Image


class MetricWriter:
  """Appends ``{"step", "split", name: float, ...}`` lines and mirrors them to TensorBoard."""

  def __init__(self, workdir: str, enabled: bool = True, purge_step: Optional[int] = None):
    """``purge_step``: a resumed run's step; TensorBoard drops the events logged after it, as
    ``drop_rows_after`` drops those rows of ``metrics.jsonl``."""
    self.enabled = enabled
    self.path = os.path.join(workdir, "metrics.jsonl")
    self._tensorboard = None
    if enabled:
      from tensorboardX import SummaryWriter  # Imported here: only the writing process needs it.
      self._tensorboard = SummaryWriter(os.path.join(workdir, "tb"), purge_step=purge_step or None)

  def write(self, step: int, split: str, metrics: Mapping[str, float]) -> None:
    if not self.enabled:
      return
    row = {"step": int(step), "split": split}
    row.update({name: float(value) for name, value in metrics.items()})
    with open(self.path, "a") as f:
      f.write(json.dumps(row) + "\n")
    for name, value in metrics.items():
      self._tensorboard.add_scalar(f"{split}/{name}", float(value), int(step))
    self._tensorboard.flush()

  def samples(self, step: int, tag: str, path: str) -> None:
    """Mirrors the samples at ``path`` to TensorBoard: a PNG (a sample grid or scatter plot) as
    an image, a ``.txt`` (text samples) as text, a ``.wav`` (audio samples) as audio."""
    if not self.enabled:
      return
    if path.endswith(".txt"):
      with open(path) as f:
        self._tensorboard.add_text(tag, f.read(), int(step))
    elif path.endswith(".wav"):
      import wave
      with wave.open(path) as f:
        rate, pcm = f.getframerate(), np.frombuffer(f.readframes(f.getnframes()), "<i2")
      self._tensorboard.add_audio(tag, pcm[:, None] / 32768.0, int(step), sample_rate=rate)
    else:
      with Image.open(path) as picture:
        pixels = np.asarray(picture.convert("RGB"))
      self._tensorboard.add_image(tag, pixels, int(step), dataformats="HWC")
    self._tensorboard.flush()

  def close(self) -> None:
    if self._tensorboard is not None:
      self._tensorboard.close()


def tensorboard_scalars(workdir: str, step: int, prefix: str,
                        metrics: Mapping[str, float]) -> None:
  """``jaxgen eval``'s numbers as TensorBoard scalars ``prefix/name`` at the checkpoint's step
  (not in ``metrics.jsonl``, which holds what training logged)."""
  from tensorboardX import SummaryWriter

  with SummaryWriter(os.path.join(workdir, "tb")) as writer:
    for name, value in metrics.items():
      if isinstance(value, (int, float)) and math.isfinite(value):
        writer.add_scalar(f"{prefix}/{name}", float(value), int(step))


def read_metrics(workdir: str) -> list[dict]:
  path = os.path.join(workdir, "metrics.jsonl")
  if not os.path.exists(path):
    return []
  with open(path) as f:
    return [json.loads(line) for line in f if line.strip()]


def drop_rows_after(workdir: str, step: int) -> None:
  """Keeps the ``metrics.jsonl`` rows of steps <= ``step`` (a resumed run logs the rest again)."""
  rows = read_metrics(workdir)
  kept = [row for row in rows if row["step"] <= step]
  if len(kept) != len(rows):
    with open(os.path.join(workdir, "metrics.jsonl"), "w") as f:
      f.writelines(json.dumps(row) + "\n" for row in kept)


def to_uint8(images: np.ndarray, value_range: tuple[float, float]) -> np.ndarray:
  low, high = value_range
  scaled = (np.asarray(images, np.float32) - low) / (high - low)
  return np.clip(np.round(scaled * 255.0), 0, 255).astype(np.uint8)


def image_grid(images: np.ndarray, value_range: tuple[float, float], ncol: Optional[int] = None,
               padding: int = 1) -> np.ndarray:
  """Tiles ``images: [N, H, W, C]`` into one uint8 picture ``[rows*(H+p)+p, cols*(W+p)+p, C]``."""
  images = to_uint8(images, value_range)
  n, h, w, c = images.shape
  ncol = ncol or int(math.ceil(math.sqrt(n)))
  nrow = int(math.ceil(n / ncol))
  grid = np.full((nrow * (h + padding) + padding, ncol * (w + padding) + padding, c), 255, np.uint8)
  for i, image in enumerate(images):
    row, col = divmod(i, ncol)
    top, left = padding + row * (h + padding), padding + col * (w + padding)
    grid[top:top + h, left:left + w] = image
  return grid


def save_image_grid(images: np.ndarray, path: str, value_range: tuple[float, float],
                    ncol: Optional[int] = None, scale: int = 4,
                    captions: Sequence[tuple[str, int]] = ()) -> None:
  """Writes a PNG grid, each pixel enlarged ``scale`` times (8x8 digits are tiny otherwise).

  ``captions``: ``(text, rows)`` per block of rows, top to bottom (rows 0: the rest), written in
  a margin left of the block's first row."""
  grid = image_grid(images, value_range, ncol)
  picture = Image.fromarray(grid[..., 0] if grid.shape[-1] == 1 else grid)
  if scale > 1:
    picture = picture.resize((picture.width * scale, picture.height * scale), Image.NEAREST)
  if captions:
    picture = _captioned(picture, captions, row_height=(images.shape[1] + 1) * scale)
  os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
  picture.save(path)


def _captioned(picture: Image.Image, captions: Sequence[tuple[str, int]],
               row_height: int) -> Image.Image:
  """``picture`` with a white margin on the left holding each block's caption."""
  from PIL import ImageDraw, ImageFont

  font = ImageFont.load_default()
  draw = ImageDraw.Draw(picture)
  width = max(int(draw.textlength(text, font=font)) for text, _ in captions) + 12
  framed = Image.new(picture.mode, (picture.width + width, picture.height), "white")
  framed.paste(picture, (width, 0))
  draw, row = ImageDraw.Draw(framed), 0
  for text, rows in captions:
    draw.text((4, row * row_height + 4), text, fill="black", font=font)
    row += rows
  return framed


def save_text(tokens: np.ndarray, path: str, decode: Callable[[np.ndarray], str]) -> None:
  """Writes sequences ``tokens: [N, T]`` as text, ``decode``d, one per paragraph."""
  os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
  with open(path, "w") as f:
    f.write("\n\n".join(decode(row) for row in tokens) + "\n")


def save_audio(tokens: np.ndarray, path: str, decode: Callable[[np.ndarray], np.ndarray],
               sample_rate: int, gap_seconds: float = 0.25) -> None:
  """Writes audio sequences ``tokens: [N, T]`` as one 16-bit mono WAV, ``decode``d to [-1, 1],
  one after another with ``gap_seconds`` of silence between them."""
  import wave
  gap = np.zeros(int(gap_seconds * sample_rate), np.float32)
  audio = np.concatenate([part for row in tokens for part in (decode(row), gap)])
  os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
  with wave.open(path, "wb") as f:
    f.setnchannels(1)
    f.setsampwidth(2)
    f.setframerate(sample_rate)
    f.writeframes((np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes())


def save_spectrogram(audio: np.ndarray, path: str, sample_rate: int) -> None:
  """Writes a PNG spectrogram of ``audio: [T]`` in [-1, 1] (frequency against time)."""
  import matplotlib
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt
  figure, axes = plt.subplots(figsize=(10, 3))
  axes.specgram(audio, Fs=sample_rate, NFFT=256, noverlap=192, cmap="magma")
  axes.set_xlabel("seconds")
  axes.set_ylabel("Hz")
  figure.tight_layout()
  os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
  figure.savefig(path, dpi=100)
  plt.close(figure)


def save_scatter(points: np.ndarray, path: str, reference: Optional[np.ndarray] = None) -> None:
  """Writes a PNG scatter plot of 2-D samples (over the data's own points, when given)."""
  import matplotlib
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt

  figure, axes = plt.subplots(figsize=(4, 4), dpi=100)
  if reference is not None:
    axes.scatter(reference[:, 0], reference[:, 1], s=1, c="0.75", label="data")
  axes.scatter(points[:, 0], points[:, 1], s=1, c="C0", label="samples")
  axes.set_aspect("equal")
  axes.legend(loc="upper right", markerscale=5, fontsize=7)
  figure.tight_layout()
  os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
  figure.savefig(path)
  plt.close(figure)


def save_curves(path: str, curves: dict, xlabel: str, ylabel: str) -> None:
  """Writes a PNG of ``curves`` {label: [(x, y), ...]} against a logarithmic x axis; a curve of
  one point is drawn as a square marker."""
  import matplotlib
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt

  figure, axes = plt.subplots(figsize=(5, 3.5))
  for label, points in curves.items():
    if points:
      axes.plot(*zip(*sorted(points)), "o-" if len(points) > 1 else "s", label=label)
  axes.set_xscale("log")
  axes.set_xlabel(xlabel)
  axes.set_ylabel(ylabel)
  axes.legend()
  figure.tight_layout()
  figure.savefig(path, dpi=100)
  plt.close(figure)


def save_table(stem: str, summary: Mapping, records: Sequence[Mapping], title: str,
               headers: Sequence[str], cells: Callable[[Mapping], Sequence[str]], curves: dict,
               xlabel: str, ylabel: str) -> None:
  """One table three ways: ``stem.json`` ({**summary, "rows": records}), ``stem.md`` (``title``,
  then one row of ``cells(record)`` per record under ``headers``; the first column left-aligned,
  the others right) and ``stem.png`` (``curves``, as ``save_curves``)."""
  with open(stem + ".json", "w") as f:
    json.dump({**summary, "rows": list(records)}, f, indent=2)
  lines = [title, "", "| " + " | ".join(headers) + " |", "|---|" + "---:|" * (len(headers) - 1)]
  lines += ["| " + " | ".join(cells(record)) + " |" for record in records]
  with open(stem + ".md", "w") as f:
    f.write("\n".join(lines) + "\n")
  save_curves(stem + ".png", curves, xlabel, ylabel)

"""The sequence family's shared config: a 2-layer Transformer (width 64, 4 heads) on
``markov_text`` windows of 64 symbols, 3,000 steps of batch 64. Every sequence experiment starts
from it."""

import ml_collections

from jaxgen.core.config import base_config, smoke


def get_config(arg=None):
  config = base_config()
  config.family = "sequence"
  config.data.name = "markov_text"

  config.model.name = "transformer"  # transformer | lstm | wavenet | package.module:function
  config.model.width = 64  # wavenet: residual channels
  config.model.num_layers = 2  # wavenet: layers per stack, dilations 1 .. 2^(num_layers - 1)
  config.model.num_heads = 4  # transformer only
  config.model.tie_embeddings = True  # transformer only: the output layer is the embedding's
  config.model.positions = "learned"  # transformer only: learned | rotary (RoFormer)
  config.model.dropout = 0.0  # transformer, lstm
  config.model.num_stacks = 2  # wavenet only
  config.model.skip_features = 64  # wavenet only
  config.model.conditional = False  # transformer and wavenet: conditioning on the data's labels

  config.loss.name = "nll"  # the window's exact negative log-likelihood, in bits per token

  config.train.num_steps = 3000
  config.train.batch_size = 64
  config.optimizer.learning_rate = 3e-3
  config.optimizer.schedule = "cosine"
  config.optimizer.warmup_steps = 100
  config.optimizer.grad_clip_norm = 1.0

  config.eval.batch_size = 500
  config.eval.num_samples = 8  # text samples written at each evaluation
  config.eval.num_text_samples = 500  # drawn by `jaxgen eval` (scored where the truth is known)

  config.sample = ml_collections.ConfigDict()
  config.sample.temperature = 1.0
  config.sample.top_k = 0  # 0: off
  config.sample.top_p = 1.0  # 1: off
  config.sample.prompt = ""  # text the samples continue (the dataset's alphabet)
  config.sample.cached = True  # False: re-run the whole prefix per token (same tokens, slower)

  config.log_every = 100
  config.eval_every = 1000
  config.checkpoint_every = 1000
  if arg == "smoke":
    smoke(config)
    config.eval.num_text_samples = 16
  return config

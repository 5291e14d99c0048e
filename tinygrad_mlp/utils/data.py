"""``torch.utils.data``'s names, so ``import tinygrad_mlp as torch`` scripts find them (the code is
in ``tinygrad_mlp.data``)."""

from ..data.dataset import DataLoader, Dataset, TensorDataset, default_collate

__all__ = ["DataLoader", "Dataset", "TensorDataset", "default_collate"]

"""Data: datasets and loaders, preprocessing, bundled and downloadable data sets."""

from .dataset import DataLoader, Dataset, TensorDataset, default_collate
from .datasets import (
    DataBundle,
    load_csv,
    load_digits,
    load_iris,
    load_mnist,
    make_circles,
    make_moons,
    make_regression_1d,
    make_spirals,
    make_xor,
    read_idx,
)
from .images import images_to_csv, load_image_folder
from .preprocessing import LabelEncoder, MinMaxScaler, StandardScaler, one_hot, train_test_split

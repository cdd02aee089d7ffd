"""Class labels of a folder data set from its sub-folder names."""
import numpy as np
import pytest
from PIL import Image

from gan_jax import config as config_lib, data
from gan_jax.data import folder


def write(path, value: int, n: int):
  path.mkdir(parents=True, exist_ok=True)
  for i in range(n):
    Image.fromarray(np.full((8, 8, 3), value, np.uint8)).save(path / f"{i}.png")


def folder_config(path, num_classes: int = 0):
  c = config_lib.base()
  c.data.name, c.data.path, c.data.batch_size, c.data.image_size = "folder", str(path), 4, 8
  c.model.num_classes = num_classes
  return c


def test_sub_folders_are_classes_in_name_order(tmp_path):
  write(tmp_path / "shoes", 200, 3)
  write(tmp_path / "bags" / "nested", 50, 5)  # any depth below the class folder
  assert folder.class_folders(str(tmp_path)) == ["bags", "shoes"]
  source = data.get_source(folder_config(tmp_path, 2))
  assert source.num_classes == 2 and source.size == 8
  x, y = source.arrays()
  assert np.array_equal(np.bincount(y), [5, 3])
  np.testing.assert_allclose(x[y == 0].mean(), 50 / 127.5 - 1, atol=0.01)  # bags
  np.testing.assert_allclose(x[y == 1].mean(), 200 / 127.5 - 1, atol=0.01)  # shoes
  assert set(source.batch(0)) == {"x", "y"}
  data.check_classes(folder_config(tmp_path, 2), source)
  with pytest.raises(ValueError, match=r"model.num_classes=3 but .* has 2 classes; set "
                                       r"--config.model.num_classes=2"):
    data.check_classes(folder_config(tmp_path, 3), source)


def test_images_outside_class_folders_or_one_folder_mean_no_labels(tmp_path):
  write(tmp_path / "a", 10, 4)
  assert folder.class_folders(str(tmp_path)) == []  # a single sub-folder: no classes
  write(tmp_path / "b", 20, 4)
  write(tmp_path, 30, 1)  # an image directly in DIR
  assert folder.class_folders(str(tmp_path)) == []
  source = data.get_source(folder_config(tmp_path))
  assert source.num_classes == 0 and "y" not in source.batch(0)
  with pytest.raises(ValueError, match="has no labels.*own sub-folder of data.path"):
    data.check_classes(folder_config(tmp_path, 2), source)

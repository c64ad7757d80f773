"""Full mode without the internet: the stand-ins laid out where the downloads would land
(`dlcourse.rehearsal`) are what fastai and torchvision find. The lessons themselves run in full mode
against these stand-ins on Colab's versions, in the Colab twin (test_colab_twin.py)."""

import pytest
import torch

from dlcourse import data, pets, rehearsal
from dlcourse.mode import Mode
from dlcourse.settings import environment

from support import PER_BREED

pytestmark = pytest.mark.slow


def test_pets_and_weights_are_found_where_the_downloads_land(full_env, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("full mode tried the network although the data is in place")

    monkeypatch.setattr(data, "has_internet", no_network)
    with environment(full_env):
        from fastai.data.external import URLs, untar_data

        images = pets.download_pets()
        assert images == untar_data(URLs.PETS) / "images"
        assert len(list(images.glob("*.jpg"))) == PER_BREED * 37
        for weights in rehearsal.install_weights():
            assert str(weights).startswith(full_env["TORCH_HOME"])
        import torchvision.models as models

        loaded = models.resnet34(weights="DEFAULT").state_dict()
        saved = torch.load(rehearsal.install_weights(("resnet34",))[0], weights_only=True)
        assert all(torch.equal(loaded[k], saved[k]) for k in saved), "torchvision loaded the stand-in"


def test_lesson_8s_data_in_full_mode_is_camvids_layout_with_its_32_codes(full_env):
    from fastai.data.external import URLs, untar_data

    from dlcourse import segmentation as seg

    with environment(full_env):
        path = seg.camvid_path(Mode("full", gpu=False, internet=False, reason="a rehearsal"))
        assert path == untar_data(URLs.CAMVID_TINY)
        codes = seg.read_codes(path)
    assert list(codes) == list(rehearsal.CAMVID_CODES) and len(codes) == 32 and codes[0] == "Animal"

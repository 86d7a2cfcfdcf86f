"""omnitorch.train_vae: growing a trained encoder (`--encoder-res-blocks`) keeps what it encodes, and the new
config field round-trips only where it is set."""
import pytest
import torch

from omnitorch.train_vae import grow_encoder
from omnitorch.vae import CausalVAE, VAEConfig


def trained(seed=3):
    cfg = VAEConfig(8, [1, 2, 2], 1, [True, True], 4)
    torch.manual_seed(seed)
    vae = CausalVAE(cfg)
    with torch.no_grad():   # every weight non-zero and signed, as after training
        for p in vae.parameters():
            p.add_(0.05 * torch.randn_like(p))
    return vae, cfg


def test_grown_encoder_encodes_as_the_one_it_grew_from():
    vae, cfg = trained()
    tensors, grown_cfg = grow_encoder(vae.swift_state(), cfg, 2, seed=9)
    grown = CausalVAE(grown_cfg)
    grown.load_swift_state(tensors)
    assert [len(s.blocks) for s in grown.encoder.stages] == [2, 2, 2]
    assert [len(s.blocks) for s in grown.decoder.stages] == [2, 2, 2]
    # The added blocks are trainable (first convolution random), yet start as the identity.
    assert grown.encoder.stages[0].blocks[1].conv1.weight.abs().sum() > 0
    x = torch.rand(1, 3, 9, 16, 16) * 2 - 1
    with torch.no_grad():
        (a, la), (b, lb) = vae.encode(x), grown.encode(x)
        assert torch.equal(vae.decode(a), grown.decode(b))
    assert torch.equal(a, b) and torch.equal(la, lb)
    # Training moves the grown VAE off the identity: the second convolution gets a gradient.
    grown.encode(x)[0].square().mean().backward()
    assert grown.encoder.stages[2].blocks[1].conv2.weight.grad.abs().sum() > 0


def test_growing_needs_more_blocks_than_there_are():
    vae, cfg = trained()
    with pytest.raises(SystemExit, match="already has 1"):
        grow_encoder(vae.swift_state(), cfg, 1, seed=9)


def test_encoder_res_blocks_is_written_only_where_set():
    plain = VAEConfig(8, [1, 2, 2], 1, [True, True], 4)
    assert "encoder_res_blocks" not in plain.to_json()
    assert VAEConfig.from_json(plain.to_json()).encoder_blocks == 1
    grown = VAEConfig(8, [1, 2, 2], 1, [True, True], 4, encoder_res_blocks=2)
    assert grown.to_json()["encoder_res_blocks"] == 2
    assert VAEConfig.from_json(grown.to_json()).to_json() == grown.to_json()

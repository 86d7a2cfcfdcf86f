"""omnitorch.train_vae: freezing one half (`--decoder-only` / `--encoder-only`), bf16 training on a CPU, growing a
trained encoder (`--encoder-res-blocks`, which keeps what it encodes) or latent (`--z-channels`, which keeps what it
decodes), the log-MSE term, and the flags it refuses."""
import pytest
import torch

from omnitorch.train_vae import (autocasts, grow_encoder, grow_latent, load_resume, log_mse, loss_terms,
                                 native_cpu_bf16, trainable)
from omnitorch.vae import CausalVAE, VAEConfig


def tiny_vae(model: str):
    """The tiny model folder's VAE (seeded weights) and its config."""
    tensors, cfg, _ = load_resume(model)
    vae = CausalVAE(cfg)
    vae.load_swift_state(tensors)
    return vae, cfg


@pytest.mark.parametrize("frozen", ["encoder", "decoder"])
def test_a_frozen_half_of_the_vae_stays_as_it_was(tiny_data, frozen):
    # train_vae --decoder-only / --encoder-only: an optimiser step on the objective moves only the other half.
    vae, _ = tiny_vae(tiny_data[0])
    before = {k: v.detach().clone() for k, v in vae.state_dict().items()}
    opt = torch.optim.AdamW(trainable(vae, decoder_only=frozen == "encoder", encoder_only=frozen == "decoder"), lr=1e-2)
    torch.manual_seed(0)
    x = torch.rand(1, 3, 5, 16, 16) * 2 - 1
    loss, _ = loss_terms(vae, x, mse_weight=20, decoder_only=frozen == "encoder")
    loss.backward()
    opt.step()
    after = vae.state_dict()
    for k in before:
        moved = not torch.equal(before[k], after[k])
        if k.startswith(frozen + "."):
            assert not moved, k
    assert any(not torch.equal(before[k], after[k]) for k in before if not k.startswith(frozen + ".")), "the other half trains"


def test_log_mse_weighs_each_window_by_its_own_error():
    # --log-mse-weight: the mean PSNR over clips counts each clip's error through its logarithm, so a window's
    # gradient is its MSE's gradient divided by its MSE (and by the batch).
    torch.manual_seed(1)
    x = torch.rand(2, 3, 5, 8, 8, dtype=torch.float64)
    y = (x + torch.randn_like(x) * torch.tensor([0.01, 0.1], dtype=torch.float64).view(2, 1, 1, 1, 1)).requires_grad_()
    value = log_mse(y, x)
    value.backward()
    per_window = (y - x).detach().pow(2).flatten(1).mean(1)
    assert torch.allclose(value, per_window.log().mean())
    n = x[0].numel()
    expected = 2 * (y - x).detach() / n / per_window.view(2, 1, 1, 1, 1) / 2
    assert torch.allclose(y.grad, expected, rtol=1e-10, atol=0)
    # Shrinking either window's error by the same fraction lowers the term equally (as it raises each clip's PSNR
    # equally), although their errors differ 10×; under plain MSE the worse window's would count 100×.
    pull = (y.grad * (y - x).detach()).flatten(1).sum(1)
    assert torch.allclose(pull, torch.ones(2, dtype=torch.float64), rtol=1e-10)


def test_cpu_bf16_trains_in_bf16_and_validates_in_f32(tiny_data):
    # train_vae --cpu-bf16: the training step's convolutions run in bf16, validation's in F32 (comparable numbers).
    vae, _ = tiny_vae(tiny_data[0])
    x = torch.rand(1, 3, 5, 16, 16) * 2 - 1
    training, validation = autocasts("cpu", cpu_bf16=True)
    with training():
        assert vae.decode(vae.encode(x)[0]).dtype == torch.bfloat16
    with validation():
        assert vae.decode(vae.encode(x)[0]).dtype == torch.float32
    plain_training, plain_validation = autocasts("cpu")
    with plain_training():
        assert vae.decode(vae.encode(x)[0]).dtype == torch.float32


def test_native_cpu_bf16_reads_the_cpu_flags():
    # --cpu-bf16 is refused where torch would emulate bf16 (a Zen 3: 529 s for a step F32 does in ≈ 7 s).
    zen3 = "processor\t: 0\nflags\t\t: fpu sse2 avx avx2 fma f16c\n"
    zen5 = "processor\t: 0\nflags\t\t: fpu avx2 avx512f avx512_bf16 avx512_vnni\n"
    sapphire = "flags\t\t: avx512f amx_bf16 amx_tile\n"
    assert not native_cpu_bf16(zen3) and native_cpu_bf16(zen5) and native_cpu_bf16(sapphire)
    assert not native_cpu_bf16("model name\t: no flags line\n")


def test_train_vae_refuses_cpu_bf16_without_native_bf16(tmp_path, monkeypatch):
    from omnitorch import train_vae
    monkeypatch.setattr(train_vae, "native_cpu_bf16", lambda: False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)   # the refusal is a CPU's; so is CI
    monkeypatch.setattr("sys.argv", ["train_vae", "--data", str(tmp_path), "--out", str(tmp_path / "out"), "--cpu-bf16"])
    with pytest.raises(SystemExit) as refused:
        train_vae.main()
    assert refused.value.code == 2 and not (tmp_path / "out").exists()


@pytest.mark.parametrize("flags", [["--decoder-only"], ["--encoder-only"], ["--decoder-only", "--encoder-only", "--resume", "x"],
                                   ["--encoder-res-blocks", "2"], ["--encoder-res-blocks", "2", "--decoder-only", "--resume", "x"],
                                   ["--z-channels", "8"], ["--z-channels", "8", "--decoder-only", "--resume", "x"],
                                   ["--z-channels", "8", "--encoder-only", "--resume", "x"]])
def test_train_vae_refuses_a_freeze_that_cannot_hold(tmp_path, monkeypatch, flags):
    # A freeze needs a trained VAE to fine-tune (--resume); freezing both halves would train nothing; growing the
    # encoder needs a trained VAE too, and an encoder that trains; growing the latent, both halves training.
    from omnitorch import train_vae
    monkeypatch.setattr("sys.argv", ["train_vae", "--data", str(tmp_path), "--out", str(tmp_path / "out")] + flags)
    with pytest.raises(SystemExit) as refused:
        train_vae.main()
    assert refused.value.code == 2 and not (tmp_path / "out").exists()


def test_grown_encoder_encodes_as_the_one_it_grew_from(tiny_data):
    vae, cfg = tiny_vae(tiny_data[0])
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


def test_growing_needs_more_blocks_than_there_are(tiny_data):
    vae, cfg = tiny_vae(tiny_data[0])
    with pytest.raises(SystemExit, match="already has 1"):
        grow_encoder(vae.swift_state(), cfg, 1, seed=9)
    with pytest.raises(SystemExit, match=f"already has {cfg.z_channels} latent"):
        grow_latent(vae.swift_state(), cfg, cfg.z_channels, seed=9)


def test_grown_latent_decodes_as_the_one_it_grew_from(tiny_data):
    vae, cfg = tiny_vae(tiny_data[0])
    old = cfg.z_channels
    tensors, grown_cfg = grow_latent(vae.swift_state(), cfg, old + 3, seed=9)
    grown = CausalVAE(grown_cfg)
    grown.load_swift_state(tensors)
    assert grown_cfg.z_channels == old + 3 and len(grown_cfg.latent_mean) == len(grown_cfg.latent_std) == old + 3
    assert grown_cfg.latent_mean[:old] == cfg.latent_mean and grown_cfg.latent_std[old:] == [1.0] * 3
    x = torch.rand(1, 3, 9, 16, 16) * 2 - 1
    with torch.no_grad():
        (a, la), (b, lb) = vae.encode(x), grown.encode(x)
        # The trained channels are encoded as before, the new ones carry fresh features (not zeros) ...
        assert torch.equal(a, b[:, :old]) and torch.equal(la, lb[:, :old])
        assert b[:, old:].abs().min() > 0
        # ... and the decoder starts ignoring them: the same video back.
        assert torch.equal(vae.decode(a), grown.decode(b))
    # The new channels train: the decoder's weights on them get a gradient, and once those move, so does the
    # encoder's side of them.
    def step():
        grown.zero_grad()
        (grown.decode(grown.encode(x)[0]) - x).square().mean().backward()
    step()
    assert grown.decoder.convIn.weight.grad[:, old:].abs().sum() > 0
    assert grown.encoder.convOut.weight.grad[old:old + 3].abs().sum() == 0
    with torch.no_grad():
        grown.decoder.convIn.weight[:, old:] -= 0.1 * grown.decoder.convIn.weight.grad[:, old:]
    step()
    assert grown.encoder.convOut.weight.grad[old:old + 3].abs().sum() > 0


def test_encoder_res_blocks_is_written_only_where_set():
    plain = VAEConfig(8, [1, 2, 2], 1, [True, True], 4)
    assert "encoder_res_blocks" not in plain.to_json()
    assert VAEConfig.from_json(plain.to_json()).encoder_blocks == 1
    grown = VAEConfig(8, [1, 2, 2], 1, [True, True], 4, encoder_res_blocks=2)
    assert grown.to_json()["encoder_res_blocks"] == 2
    assert VAEConfig.from_json(grown.to_json()).to_json() == grown.to_json()

"""omnitorch.train_dit: the batched objective against a per-sample loop (Swift's DiTObjective path), DDP, resume,
the exported model folder, pack validation."""
import json
import os
import shutil
import socket

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from omnitorch import train_dit
from omnitorch.pack import PackError, load_packs
from omnitorch.train_dit import Run, motion_latent_frames, parse_args

from conftest import TINY, write_pack


def args_for(model, pack, out, *extra, stage=3, batch=6):
    return parse_args(["--pack", pack, "--model", model, "--stage", str(stage), "--out", out, "--steps", "4",
                       "--batch", str(batch), "--seed", "5", "--checkpoint-seconds", "1000", "--log-every", "1000",
                       *extra])


def per_sample_loss(run: Run, batch) -> torch.Tensor:
    """The Swift trainer's path: each sample its own forward with absent groups left out (reference None, the
    caption's own tokens only, audio None), zero pose features when pose is off, the loss over the latent frames
    after the motion ones, scaled by 1/B and summed."""
    dit, guider, stage = run.dit, run.guider, run.hyper.stage
    mlf = motion_latent_frames(run.config)
    b = batch.x0.shape[0]
    total = 0
    for i in range(b):
        ref_on, text_on, audio_on, pose_on, motion_on = (bool(f) for f in batch.flags[i])
        audio_on = audio_on and stage >= 2
        x0, eps, s = batch.x0[i:i + 1], batch.noise[i:i + 1], batch.sigma[i]
        t = x0.shape[1]
        noisy = (1 - s) * x0 + s * eps
        motion, mask = torch.zeros_like(x0), torch.zeros(*x0.shape[:-1], 1)
        if motion_on:
            motion[:, :mlf] = x0[:, :mlf]
            mask[:, :mlf] = 1
        if pose_on and stage >= 3:
            pose = guider(batch.pose_maps[i:i + 1])
        else:
            pose = torch.zeros(*x0.shape[:-1], dit.cfg.feature_channels)
        inputs = torch.cat([noisy, motion, mask, pose], dim=-1)
        n = int(batch.text_lengths[i])
        v, _ = dit(inputs, batch.sigma[i:i + 1].double(), [(text_on, audio_on)],
                   reference_latent=batch.reference[i:i + 1] if ref_on else None,
                   text_states=batch.text[i:i + 1, :n] if text_on else None,
                   audio_features=batch.audio[i:i + 1] if audio_on else None)
        first = mlf if motion_on else 0
        total = total + ((v - (eps - x0))[:, first:t] ** 2).mean() / b
    return total


def grads(run: Run) -> dict[str, torch.Tensor]:
    return {k: p.grad.detach().clone() for k, p in run.trained}


@pytest.mark.parametrize("stage", [2, 3])
def test_batched_loss_equals_the_per_sample_loop(tiny_data, tmp_path, stage):
    model, pack = tiny_data
    run = Run(args_for(model, pack, str(tmp_path / "run"), stage=stage, batch=8), device="cpu")
    batch = run.sampler.batch(3)
    # Every condition on and off across the batch (ref, text, audio, pose, motion), captions of different lengths.
    batch.flags = torch.tensor([[1, 1, 1, 1, 1], [0, 1, 0, 1, 0], [1, 0, 1, 0, 1], [0, 0, 0, 0, 0],
                                [1, 1, 0, 0, 1], [0, 1, 1, 1, 1], [1, 0, 0, 1, 0], [1, 1, 1, 0, 0]], dtype=torch.bool)
    caps = torch.tensor([1, 0, 2, 1, 0, 2, 1, 0])
    batch.text = run.sampler.states[caps, :6].float()
    batch.text_lengths = run.sampler.lengths[caps]
    assert len(set(batch.text_lengths.tolist())) == 3
    batched = run.batch_loss(batch)
    batched.backward()
    g_batched = grads(run)
    for _, p in run.trained:
        p.grad = None
    reference = per_sample_loss(run, batch)
    reference.backward()
    g_reference = grads(run)
    assert abs(float(batched.detach()) - float(reference.detach())) <= 1e-6
    for k in g_batched:
        scale = max(1.0, float(g_reference[k].abs().max()))
        assert float((g_batched[k] - g_reference[k]).abs().max()) <= 1e-6 * scale, k
    if stage == 3:
        assert float(g_batched["poseGuider.convOut.weight"].abs().max()) > 0   # the guider is trained and reached


def test_stage_parameters_and_ratios(tiny_data, tmp_path):
    model, pack = tiny_data
    for stage in (1, 2, 3):
        run = Run(args_for(model, pack, str(tmp_path / f"s{stage}"), stage=stage), device="cpu")
        keys = [k for k, _ in run.trained]
        assert any("audio" in k for k in keys) == (stage >= 2)
        assert any(k.startswith("poseGuider.") for k in keys) == (stage >= 3)
        ratios = run.hyper.ratios()
        assert ratios == (0.7, 0.9, 0.5 if stage >= 2 else 0.0, 0.5 if stage >= 3 else 0.0, 0.5)
        if stage == 1:   # TrainingInitialization.dit: zero head, time projection and guider output
            assert not run.dit.head.weight.any() and not run.guider.convOut.weight.any() and not run.dit.timeProjection.weight.any()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def process_worker(rank, world, port, model, pack, out, result, fsdp):
    """One of `world` processes (gloo): its slice of a step's batch, forward and backward; saves its loss and the
    whole gradients (gathered from the shards under FSDP)."""
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=world)
    try:
        run = Run(args_for(model, pack, out, *(["--fsdp"] if fsdp else [])), rank, world, "cpu")
        if fsdp:
            assert run.sharded and all(type(p).__name__ == "DTensor" for _, p in run.trained)
        else:
            assert isinstance(run.model, torch.nn.parallel.DistributedDataParallel)
        loss = run.batch_loss(run.sampler.batch(2, rank, world))
        loss.backward()
        whole = {k: p.grad.full_tensor() for k, p in run.trained} if fsdp else grads(run)   # full_tensor: a collective
        torch.save({"grads": whole, "loss": loss.item()}, f"{result}.{rank}")
        # Both ranks done before either tears down: gloo aborts a process (SIGABRT, "terminate called without an
        # active exception") whose peer closed the connection while it still had work in flight.
        dist.barrier()
    finally:
        dist.destroy_process_group()
    # Skip the interpreter's teardown on success, where gloo's leftover threads can still abort the process; the
    # results are on disk, and an exception above still reaches mp.spawn with its traceback.
    os._exit(0)


@pytest.mark.parametrize("fsdp", [False, True], ids=["ddp", "fsdp"])
def test_two_processes_equal_one_process(tiny_data, tmp_path, fsdp):
    model, pack = tiny_data
    result = str(tmp_path / "grads")
    mp.spawn(process_worker, args=(2, free_port(), model, pack, str(tmp_path / "two"), result, fsdp), nprocs=2, join=True)
    single = Run(args_for(model, pack, str(tmp_path / "one")), device="cpu")
    loss = single.batch_loss(single.sampler.batch(2))
    loss.backward()
    reference = grads(single)
    parts = [torch.load(f"{result}.{r}") for r in range(2)]
    assert abs(sum(p["loss"] for p in parts) / 2 - loss.item()) <= 1e-6
    for p in parts:
        assert p["grads"].keys() == reference.keys()
        for k, g in reference.items():
            assert float((p["grads"][k] - g).abs().max()) <= 1e-6 * max(1.0, float(g.abs().max())), k


def torchrun_worker(rank, world, port, argv):
    """What torchrun gives each process: its rank and the rendezvous in the environment."""
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE=str(world),
                      LOCAL_RANK=str(rank))
    torch.set_num_threads(1)
    train_dit.main(argv)


def test_fsdp_run_checkpoints_resumes_and_matches_one_process(tiny_data, tmp_path):
    # Two sharded processes stop after 2 steps (the checkpoint gathers the shards), resume to 4; the exported model
    # equals a single process's uninterrupted 4 steps up to rounding, and resuming without --fsdp is refused.
    model, pack = tiny_data
    common = ["--pack", pack, "--model", model, "--stage", "3", "--steps", "4", "--batch", "4", "--seed", "2",
              "--warmup", "2", "--checkpoint-seconds", "1000", "--log-every", "1000", "--device", "cpu"]
    a, b = str(tmp_path / "a"), str(tmp_path / "b")
    train_dit.main(common + ["--out", a])
    mp.spawn(torchrun_worker, args=(2, free_port(), common + ["--out", b, "--fsdp", "--stop-after-steps", "2"]), nprocs=2, join=True)
    assert json.load(open(os.path.join(b, "state.json")))["step"] == 2
    with pytest.raises(SystemExit):
        train_dit.main(common + ["--out", b, "--resume", b])
    mp.spawn(torchrun_worker, args=(2, free_port(), common + ["--out", b, "--fsdp", "--resume", b]), nprocs=2, join=True)
    log_a, log_b = read_log(a), read_log(b)
    assert [e["step"] for e in log_b] == [1, 2, 3, 4]
    for x, y in zip(log_a, log_b):
        assert abs(x["loss"] - y["loss"]) <= 1e-5 and x["lr"] == y["lr"]
    ta, tb = load_file(os.path.join(a, "model", "model.safetensors")), load_file(os.path.join(b, "model", "model.safetensors"))
    assert ta.keys() == tb.keys()
    # The same trajectory up to rounding: the processes sum the gradients in another order, and AdamW's normalised
    # steps enlarge that for parameters whose gradients are near zero, so compare the training's change of the
    # weights as a whole (relative L2) rather than element by element.
    start = load_file(os.path.join(model, "model.safetensors"))
    da = torch.cat([(ta[k].float() - start[k].float()).flatten() for k in ta])
    db = torch.cat([(tb[k].float() - start[k].float()).flatten() for k in ta])
    assert float(da.norm()) > 0
    assert float((da - db).norm() / da.norm()) <= 1e-3


def read_log(folder):
    return [json.loads(line) for line in open(os.path.join(folder, "train.jsonl"))]


def test_resume_equals_an_uninterrupted_run(tiny_data, tmp_path):
    model, pack = tiny_data
    common = ["--pack", pack, "--model", model, "--stage", "3", "--steps", "5", "--batch", "4", "--seed", "2",
              "--warmup", "2", "--checkpoint-seconds", "1000", "--log-every", "1000"]
    a, b = str(tmp_path / "a"), str(tmp_path / "b")
    train_dit.main(common + ["--out", a])
    first = train_dit.main(common + ["--out", b, "--stop-after-steps", "2"])
    assert first["outcome"] == "interrupted" and first["step"] == 2
    with pytest.raises(SystemExit):   # a folder with a run is not started over by accident
        train_dit.main(common + ["--out", b])
    second = train_dit.main(common + ["--out", b, "--resume", b])
    assert second["outcome"] == "finished" and second["step"] == 5 and second["session_steps"] == 3
    log_a, log_b = read_log(a), read_log(b)
    assert [e["step"] for e in log_b] == [1, 2, 3, 4, 5]
    for x, y in zip(log_a, log_b):
        assert abs(x["loss"] - y["loss"]) <= 1e-6 and x["lr"] == y["lr"]
    ta, tb = load_file(os.path.join(a, "model", "model.safetensors")), load_file(os.path.join(b, "model", "model.safetensors"))
    assert ta.keys() == tb.keys()
    assert max(float((ta[k] - tb[k]).abs().max()) for k in ta) <= 1e-6


def test_exported_model_folder_has_the_input_keys(tiny_data, tmp_path):
    model, pack = tiny_data
    out = str(tmp_path / "run")
    summary = train_dit.main(["--pack", pack, "--model", model, "--stage", "1", "--out", out, "--steps", "2",
                              "--batch", "2", "--export-parts", "--log-every", "1000"])
    assert summary["step"] == 2
    source = load_file(os.path.join(model, "model.safetensors"))
    exported = load_file(os.path.join(out, "model", "model.safetensors"))
    assert sorted(exported) == sorted(source)
    assert all(t.dtype == torch.float32 for t in exported.values())
    for k in source:
        assert exported[k].shape == source[k].shape, k
        if k.startswith("vae."):                     # frozen, the latent preview too: carried over unchanged
            assert torch.equal(exported[k], source[k].float()), k
    assert json.load(open(os.path.join(out, "model", "config.json"))) == TINY
    assert float(exported["dit.head.weight"].abs().max()) > 0    # trained from its zero start
    # The parts hold the DiT and the guider, which join_parts puts back together with the input folder.
    parts = {}
    for name in sorted(os.listdir(os.path.join(out, "parts"))):
        parts.update(load_file(os.path.join(out, "parts", name)))
    assert sorted(parts) == sorted(k for k in source if k.startswith(("dit.", "poseGuider.")))
    from omnitorch import join_parts
    joined = str(tmp_path / "joined")
    join_parts.main([os.path.join(out, "parts"), "--base", model, "--out", joined])
    rejoined = load_file(os.path.join(joined, "model.safetensors"))
    assert sorted(rejoined) == sorted(source) and all(torch.equal(rejoined[k], exported[k]) for k in source)


def test_decoder_parts_join_into_a_model_folder(tiny_data, tmp_path):
    # train_vae --decoder-only's parts replace the VAE of a model folder of the same VAE shape; the rest, and the
    # config, stay the base's. A VAE of another shape is refused.
    from omnitorch import join_parts
    from omnitorch.train_vae import load_resume, save_parts
    from omnitorch.vae import CausalVAE, VAEConfig
    model, _ = tiny_data
    tensors, cfg, _ = load_resume(model)
    vae = CausalVAE(cfg)
    vae.load_swift_state(tensors)
    with torch.no_grad():
        vae.decoder.convOut.weight.add_(0.5)
    parts = str(tmp_path / "parts")
    os.makedirs(parts)
    save_parts(vae, parts, cfg.to_json(), 7)
    out = str(tmp_path / "joined")
    join_parts.main([parts, "--base", model, "--out", out])
    base, joined = load_file(os.path.join(model, "model.safetensors")), load_file(os.path.join(out, "model.safetensors"))
    assert sorted(joined) == sorted(base)
    changed = [k for k in base if not torch.equal(joined[k], base[k].float())]
    assert changed == ["vae.decoder.convOut.weight"]
    assert json.load(open(os.path.join(out, "config.json"))) == json.load(open(os.path.join(model, "config.json")))
    other = dict(cfg.to_json(), base_channels=cfg.to_json()["base_channels"] * 2)
    save_parts(vae, parts, other, 7)
    with pytest.raises(SystemExit):
        join_parts.main([parts, "--base", model, "--out", str(tmp_path / "refused")])


def test_pack_errors_name_the_file(tmp_path):
    folder = str(tmp_path / "pack")
    write_pack(folder)
    packs = load_packs(folder)
    assert packs.clip_count == 6 and packs.states.shape == (3, 6, 384)
    joined = load_packs([folder, folder])             # two packs: buckets joined, caption indices shifted
    assert joined.clip_count == 12 and int(joined.buckets[0].caption.max()) >= 3
    path = os.path.join(folder, "24x16.safetensors")
    tensors = load_file(path)
    tensors["audio"] = tensors["audio"][..., :7].contiguous()
    save_file(tensors, path)
    with pytest.raises(PackError, match="24x16.safetensors.*audio"):
        load_packs(folder)
    shutil.rmtree(folder)
    with pytest.raises(PackError, match="pack.json"):
        load_packs(folder)


def test_sample_tensors_follow_the_swift_definitions(tiny_data, tmp_path):
    """Each sample's target is `vae.normalize(vae.encode(window).mean)`, its reference the same of the reference
    picture, its audio row f the clip's own rows f−N … f+N clamped to the clip (`.edge`), its pose maps
    `PoseRendering.maps` of the window's frames on the clip's canvas, its text the caption's own states."""
    from omnitorch.pose_maps import pose_maps
    model, pack = tiny_data
    run = Run(args_for(model, pack, str(tmp_path / "run"), batch=8), device="cpu")
    s = run.sampler
    n, frames = run.config["audio"]["neighbours"], run.config["video"]["segment_frames"]
    mean, std = torch.tensor(TINY["vae"]["latent_mean"]), torch.tensor(TINY["vae"]["latent_std"])
    seen_edge = False
    for step in range(3):
        batch = s.batch(step)
        for i, (bucket, clip, start) in enumerate(batch.clips):
            b = s.buckets[bucket]
            with torch.no_grad():
                video = b.video[clip, start:start + frames].float() / 127.5 - 1
                z = run.vae.encode(video.permute(3, 0, 1, 2)[None])[0][0].permute(1, 2, 3, 0)
                r = run.vae.encode((b.reference[clip].float() / 127.5 - 1).permute(2, 0, 1)[:, None][None])[0][0].permute(1, 2, 3, 0)
            assert torch.allclose(batch.x0[i], (z - mean) / std, atol=1e-5)
            assert torch.allclose(batch.reference[i], (r - mean) / std, atol=1e-5)
            own = b.audio[clip].float()
            rows = torch.stack([torch.cat([own[min(max(f + j, 0), b.frames - 1)] for j in range(-n, n + 1)])
                                for f in range(start, start + frames)])
            assert torch.equal(batch.audio[i], rows)
            seen_edge |= start == 0 or start + frames == b.frames
            assert torch.equal(batch.pose_maps[i], pose_maps(b.pose[clip, start:start + frames], b.width, b.height, b.width, b.height))
            cap = int(b.caption[clip])
            length = int(s.lengths[cap])
            assert int(batch.text_lengths[i]) == length
            assert torch.equal(batch.text[i, :length], s.states[cap, :length].float())
            assert float(batch.text[i, length:].abs().sum()) == 0
    assert seen_edge

"""Step2Motion networks: shapes, per-stream attention, null-embedding masking, root displacement, config."""

from __future__ import annotations

import json
import math

import pytest
import torch

from step2motion.condition_schema import DEFAULT_MODALITY_CHANNELS
from step2motion.dataset.pose_features import displacement_from_trajectory, integrate_displacement
from step2motion.errors import InputError
from step2motion.model import (
    DEFAULT_SCHEMA,
    POSE_JOINT_NAMES,
    ConditionSchema,
    DenoiserConfig,
    DiffusionConfig,
    ModelConfig,
    RootConfig,
    Step2MotionDenoiser,
    Step2MotionModel,
    root_displacement_loss,
    split_attention_by_part,
)
from step2motion.model.denoiser import StreamCrossAttention
from step2motion.skeleton import BODY_PARTS

TINY = DenoiserConfig(d_model=32, n_layers=2, n_heads=2, ffn_dim=64, dropout=0.0)
N_FRAMES = 12


def tiny_denoiser(schema: ConditionSchema = DEFAULT_SCHEMA, seed: int = 0) -> Step2MotionDenoiser:
    torch.manual_seed(seed)
    return Step2MotionDenoiser(schema, TINY).eval()


def random_inputs(
    schema: ConditionSchema = DEFAULT_SCHEMA, batch: int = 2, seed: int = 1
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Noisy pose ``[B, T, 21, 3]``, timesteps ``[B]``, packed condition ``[B, T, C]``."""
    generator = torch.Generator().manual_seed(seed)
    x_t = torch.randn(batch, N_FRAMES, 21, 3, generator=generator)
    condition = torch.randn(batch, N_FRAMES, schema.total_channels, generator=generator)
    return x_t, torch.arange(batch) * 7, condition


def with_stream_changed(condition: torch.Tensor, name: str, value: float) -> torch.Tensor:
    changed = condition.clone()
    changed[..., DEFAULT_SCHEMA.channel_slice(name)] = value
    return changed


def test_pose_joints_are_the_non_root_joints_split_into_the_paper_parts() -> None:
    assert len(POSE_JOINT_NAMES) == 21 and "Hips" not in POSE_JOINT_NAMES
    assert sorted(sum(BODY_PARTS.values(), ())) == sorted(POSE_JOINT_NAMES)


def test_part_outputs_land_on_their_joints_by_name() -> None:
    denoiser = tiny_denoiser()
    with torch.no_grad():
        for layer in denoiser.part_outputs.values():
            layer.weight.zero_()
            layer.bias.zero_()
        denoiser.part_outputs["left_leg"].bias.copy_(torch.arange(12.0))
    x_t, timesteps, condition = random_inputs()
    x0 = denoiser(x_t, timesteps, denoiser.encode_condition(condition))
    left_foot = POSE_JOINT_NAMES.index("LeftFoot")  # third joint of the left-leg part
    torch.testing.assert_close(x0[:, :, left_foot], torch.tensor([6.0, 7.0, 8.0]).expand(2, N_FRAMES, 3))
    others = [i for i, name in enumerate(POSE_JOINT_NAMES) if name not in BODY_PARTS["left_leg"]]
    assert not x0[:, :, others].any()


def test_denoiser_shapes_and_attention_weights_per_stream_sum_to_one() -> None:
    denoiser = tiny_denoiser()
    x_t, timesteps, condition = random_inputs()
    encoded = denoiser.encode_condition(condition)
    x0 = denoiser(x_t, timesteps, encoded)
    assert x0.shape == x_t.shape and torch.isfinite(x0).all()
    x0_again, attention = denoiser.forward_with_attention(x_t, timesteps, encoded)
    torch.testing.assert_close(x0_again, x0)
    assert len(attention) == TINY.n_layers
    for weights in attention:
        assert weights.shape == (2, DEFAULT_SCHEMA.n_streams, 3 * N_FRAMES, N_FRAMES)
        torch.testing.assert_close(weights.sum(-1), torch.ones(weights.shape[:-1]))
    per_part = split_attention_by_part(attention[0])
    assert list(per_part) == list(BODY_PARTS)
    torch.testing.assert_close(per_part["right_leg"], attention[0][:, :, N_FRAMES : 2 * N_FRAMES])


def test_default_sizes_match_the_published_parameter_counts() -> None:
    """Paper: ≈ 1.35 M prior + ≈ 1.59 M conditioning; we accept ±5 %."""
    counts = Step2MotionDenoiser(DEFAULT_SCHEMA, DenoiserConfig()).parameter_counts()
    assert counts["prior"] == pytest.approx(1.35e6, rel=0.05)
    assert counts["conditioning"] == pytest.approx(1.59e6, rel=0.05)


def test_cross_attention_head_sees_only_its_own_stream() -> None:
    torch.manual_seed(0)
    attention = StreamCrossAttention(d_model=32, n_streams=4)
    tokens, memory = torch.randn(2, 9, 32), torch.randn(2, 4, 6, 32)
    heads, _ = attention.attend(tokens, *attention.project_memory(memory))
    perturbed = memory.clone()
    perturbed[:, 2] += torch.randn(2, 6, 32)
    heads_perturbed, _ = attention.attend(tokens, *attention.project_memory(perturbed))
    changed = (heads_perturbed - heads).abs().amax(dim=(0, 2, 3))
    assert changed[2] > 1e-3
    torch.testing.assert_close(changed[[0, 1, 3]], torch.zeros(3))


def test_first_layer_attention_of_other_streams_ignores_a_perturbed_stream() -> None:
    denoiser = tiny_denoiser()
    x_t, timesteps, condition = random_inputs()
    k = DEFAULT_SCHEMA.index("right_imu")
    _, before = denoiser.forward_with_attention(x_t, timesteps, denoiser.encode_condition(condition))
    changed = with_stream_changed(condition, "right_imu", 3.0)
    _, after = denoiser.forward_with_attention(x_t, timesteps, denoiser.encode_condition(changed))
    others = [h for h in range(DEFAULT_SCHEMA.n_streams) if h != k]
    torch.testing.assert_close(after[0][:, others], before[0][:, others])
    assert not torch.allclose(after[0][:, k], before[0][:, k])


def test_masked_stream_is_its_null_embedding_whatever_its_values() -> None:
    denoiser = tiny_denoiser()
    x_t, timesteps, condition = random_inputs()
    k = DEFAULT_SCHEMA.index("left_forefoot_pressure")
    mask = torch.ones(2, DEFAULT_SCHEMA.n_streams, dtype=torch.bool)
    mask[0, k] = False
    memory = denoiser.condition_encoder(condition, mask)
    torch.testing.assert_close(
        memory[0, k], denoiser.condition_encoder.null_embeddings[k].expand(N_FRAMES, -1)
    )
    outputs = []
    for value in (0.0, 5.0, math.nan):
        changed = with_stream_changed(condition, "left_forefoot_pressure", value)
        outputs.append(denoiser(x_t, timesteps, denoiser.encode_condition(changed, mask))[0])
    assert torch.isfinite(outputs[-1]).all()
    torch.testing.assert_close(outputs[1], outputs[0])
    torch.testing.assert_close(outputs[2], outputs[0])
    present = denoiser(
        x_t, timesteps, denoiser.encode_condition(with_stream_changed(condition, "left_imu", 5.0))
    )
    assert not torch.allclose(present[0], outputs[0])


def test_nan_in_a_masked_stream_leaves_gradients_finite() -> None:
    denoiser = tiny_denoiser()
    x_t, timesteps, condition = random_inputs()
    mask = torch.ones(2, DEFAULT_SCHEMA.n_streams, dtype=torch.bool)
    mask[:, DEFAULT_SCHEMA.index("right_force_cop")] = False
    condition = with_stream_changed(condition, "right_force_cop", math.nan)
    denoiser(x_t, timesteps, denoiser.encode_condition(condition, mask)).sum().backward()
    assert all(torch.isfinite(p.grad).all() for p in denoiser.parameters() if p.grad is not None)


def test_cross_attention_heads_follow_the_schema() -> None:
    schema = ConditionSchema((("left", 5), ("right", 5), ("extra", 2)))
    denoiser = tiny_denoiser(schema)
    x_t, timesteps, condition = random_inputs(schema)
    _, attention = denoiser.forward_with_attention(x_t, timesteps, denoiser.encode_condition(condition))
    assert attention[0].shape == (2, 3, 3 * N_FRAMES, N_FRAMES)
    assert denoiser.layers[0].cross_attn.d_head == TINY.d_model // 3


def test_denoiser_rejects_mismatched_inputs() -> None:
    denoiser = tiny_denoiser()
    x_t, timesteps, condition = random_inputs()
    encoded = denoiser.encode_condition(condition)
    with pytest.raises(ValueError, match="pose must be"):
        denoiser(x_t[:, :, :20], timesteps, encoded)
    with pytest.raises(ValueError, match="encoded condition"):
        denoiser(x_t[:, :5], timesteps, encoded)
    with pytest.raises(ValueError, match="condition must be"):
        denoiser.encode_condition(condition[..., :-1])
    with pytest.raises(ValueError, match="stream mask"):
        denoiser.encode_condition(condition, torch.ones(2, 8))


def test_schema_addresses_channels_by_name() -> None:
    assert DEFAULT_SCHEMA.names[:4] == (
        "left_rearfoot_pressure",
        "left_forefoot_pressure",
        "left_imu",
        "left_force_cop",
    )
    assert DEFAULT_SCHEMA.total_channels == 50
    assert DEFAULT_SCHEMA.channel_slice("right_imu") == slice(41, 47)
    streams = {name: torch.full((2, 3, c), float(i)) for i, (name, c) in enumerate(DEFAULT_SCHEMA.streams)}
    packed = DEFAULT_SCHEMA.pack(streams)
    assert packed.shape == (2, 3, 50)
    for name, tensor in DEFAULT_SCHEMA.unpack(packed).items():
        torch.testing.assert_close(tensor, streams[name])
    gravity = ConditionSchema.per_foot({**DEFAULT_MODALITY_CHANNELS, "imu": 9})
    assert gravity.channels("right_imu") == 9 and gravity.total_channels == 56
    with pytest.raises(KeyError, match="left_gps"):
        DEFAULT_SCHEMA.index("left_gps")
    with pytest.raises(ValueError, match="missing"):
        DEFAULT_SCHEMA.pack({k: v for k, v in streams.items() if k != "left_imu"})
    with pytest.raises(ValueError, match="channels"):
        DEFAULT_SCHEMA.pack({**streams, "left_imu": torch.zeros(2, 3, 5)})
    with pytest.raises(InputError, match="repeats"):
        ConditionSchema((("a", 1), ("a", 2)))
    with pytest.raises(InputError, match="positive integer"):
        ConditionSchema((("a", 0),))


def test_root_network_reads_only_its_streams() -> None:
    torch.manual_seed(0)
    config = RootConfig(d_model=32, n_heads=2, ffn_dim=64, dropout=0.0)
    model = Step2MotionModel(ModelConfig(denoiser=TINY, root=config)).eval()
    _, _, condition = random_inputs()
    displacement = model.root(condition)
    assert displacement.shape == (2, N_FRAMES, 4)
    torch.testing.assert_close(
        model.root(with_stream_changed(condition, "left_rearfoot_pressure", 9.0)), displacement
    )
    assert not torch.allclose(model.root(with_stream_changed(condition, "left_imu", 9.0)), displacement)


def test_root_loss_known_answer() -> None:
    target = torch.randn(2, 10, 4)
    assert root_displacement_loss(target, target, 0.5) == 0
    predicted = target.clone()
    predicted[0, 0, 0] += 0.3  # one frame off: the running sum is off on all 10 frames
    per_frame = 0.3**2 / target.numel()
    expected = per_frame * (1 + 0.5 * 10)
    assert root_displacement_loss(predicted, target, 0.5).item() == pytest.approx(expected, rel=1e-5)


def test_displacement_round_trip_and_conventions() -> None:
    generator = torch.Generator().manual_seed(0)
    position_m = torch.cumsum(torch.randn(3, 20, 3, generator=generator) * 0.05, dim=1)
    yaw_rad = torch.cumsum(torch.randn(3, 20, generator=generator) * 0.5, dim=1)
    displacement = displacement_from_trajectory(position_m, yaw_rad)
    torch.testing.assert_close(displacement[:, 0], torch.zeros(3, 4))
    assert displacement[..., 3].abs().max() <= math.pi
    rebuilt_m, rebuilt_yaw = integrate_displacement(displacement, position_m[:, 0], yaw_rad[:, 0])
    torch.testing.assert_close(rebuilt_m, position_m, atol=1e-5, rtol=0)
    wrapped = torch.remainder(rebuilt_yaw - yaw_rad + math.pi, 2 * math.pi) - math.pi
    torch.testing.assert_close(wrapped, torch.zeros_like(wrapped), atol=1e-5, rtol=0)
    # facing +X (yaw π/2), stepping 0.1 m along +X then along +Z: forward, then to the right
    facing_x = displacement_from_trajectory(
        torch.tensor([[0.0, 0.0, 0.0], [0.1, 0.0, 0.0], [0.1, 0.0, 0.1]]), torch.full((3,), math.pi / 2)
    )
    torch.testing.assert_close(facing_x[1:, :3], torch.tensor([[0.1, 0.0, 0.0], [0.0, -0.1, 0.0]]))
    turn = displacement_from_trajectory(torch.zeros(2, 3), torch.tensor([3.1, -3.1]))
    assert turn[1, 3].item() == pytest.approx(2 * math.pi - 6.2, abs=1e-5)


def test_config_round_trips_through_json_and_rebuilds_the_model() -> None:
    config = ModelConfig(
        schema=ConditionSchema.per_foot({**DEFAULT_MODALITY_CHANNELS, "imu": 9}),
        window_frames=64,
        denoiser=TINY,
        root=RootConfig(
            streams=("left_imu", "right_imu", "left_force_cop"), d_model=32, n_heads=2, ffn_dim=64
        ),
        diffusion=DiffusionConfig(
            train_steps=50, sample_steps=5, guidance_scale=2.5, part_weights={"body": 0.5}
        ),
    )
    restored = ModelConfig.from_dict(json.loads(json.dumps(config.to_dict())))
    assert restored == config
    torch.manual_seed(0)
    model = Step2MotionModel(config)
    rebuilt = Step2MotionModel(restored)
    rebuilt.load_state_dict(model.state_dict())
    condition = torch.randn(1, 8, config.schema.total_channels)
    torch.testing.assert_close(rebuilt.eval().root(condition), model.eval().root(condition))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"colour": "red"}, "unknown model config settings"),
        ({"denoiser": {"d_model": 250, "n_heads": 4}}, "divisible"),
        ({"diffusion": {"loss": "l3"}}, "diffusion.loss"),
        ({"diffusion": {"part_weights": {"tail": 1.0}}}, "part_weights"),
        ({"diffusion": {"sample_steps": 20, "train_steps": 10}}, "exceeds"),
        ({"root": {"streams": ["left_gps"]}}, "not among the usable condition streams"),
        ({"streams_used": ["left_imu"], "root": {"streams": ["right_imu"]}}, "root.streams"),
        ({"streams_used": ["left_gps"]}, "streams_used"),
        ({"streams_used": []}, "streams_used"),
        ({"pose_model": "gan"}, "pose_model"),
        ({"denoiser": {"conditioning": "film"}}, "denoiser.conditioning"),
        ({"window_frames": 12.5}, "window_frames"),
        ({"config_version": 99}, "version"),
    ],
)
def test_config_errors_are_input_errors(change: dict, message: str) -> None:
    with pytest.raises(InputError, match=message):
        ModelConfig.from_dict({**ModelConfig().to_dict(), **change})

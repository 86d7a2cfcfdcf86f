"""omnitorch.generate: the segment plan and guidance weights as Swift has them, and the committed generation fixture
(Tests/OmniModelTests/Fixtures/generation_tiny, which Swift's TorchParityTests reproduces) still what this code makes."""
import os

import numpy as np
from safetensors.numpy import load_file

from omnitorch.generate import Generator, segment_plan

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "OmniModelTests", "Fixtures", "generation_tiny")


def test_segment_plan_matches_swift():
    # Swift's SegmentPlan(totalFrames: 17, segmentFrames: 9, motionFrames: 5): the fixture's three segments.
    plan = segment_plan(17, 9, 5)
    assert [(s.first_frame, s.kept, s.has_motion) for s in plan] == [(0, range(0, 9), False), (4, range(5, 9), True), (8, range(5, 9), True)]
    assert [len(s.kept) for s in segment_plan(10, 9, 5)] == [9, 1]


def test_guidance_weights_sum_to_one():
    for has_text in (False, True):
        for has_audio in (False, True):
            for k in range(4):
                plan = Generator.guidance(has_text, has_audio, 4.0, (2.5, 1.5), k, 4)
                assert abs(sum(w for _, w in plan) - 1) < 1e-12
    assert Generator.guidance(True, True, 4.0, (2.5, 1.5), 3, 4) == [((True, True), 1.5), ((True, False), 2.5), ((False, False), -3.0)]


def test_the_committed_fixture_is_what_this_code_generates():
    expected = load_file(os.path.join(FIXTURE, "expected.safetensors"))
    frames = Generator(FIXTURE).generate(17, 5, expected["fixture.reference"].astype(np.uint8))
    assert np.array_equal(frames, expected["fixture.frames"].astype(np.uint8))

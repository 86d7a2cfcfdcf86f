"""omnitorch.random_stream against the values Swift's RandomStream gives (RandomTests.testNormalsMatchTheReferenceImplementation
holds the same constants) and Random123's Philox known answers."""
import numpy as np

from omnitorch.random_stream import RandomStream, philox


def test_philox_known_answers():
    out = philox(np.array([[0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344]], dtype=np.uint32), (0xA4093822, 0x299F31D0))
    assert [int(x) for x in out[0]] == [0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1]
    out = philox(np.zeros((1, 4), dtype=np.uint32), (0, 0))
    assert [int(x) for x in out[0]] == [0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8]


def test_streams_match_swift():
    split = RandomStream(31337).split(2)
    assert split.stream == 15_080_921_988_137_061_075
    assert [int(x) for x in split.normals(10, 3).view(np.uint32)] == [
        0xBE117535, 0xBF624C6A, 0x3E976563, 0xBF94679F, 0x3F3C4E91, 0xBE4490EA, 0x3FA72026, 0xBFA75193, 0x3EBBB528, 0x3FB078F1]
    assert [int(x) for x in split.normals(3, 1_000_001).view(np.uint32)] == [0x3D76D534, 0x3EDE7678, 0x3F6072B3]
    assert [int(x) for x in RandomStream(0xDEADBEEF, 7).words(5, 2)] == [0xA96F8153, 0xB6C69082, 0x891312C3, 0xECAFEDBA, 0x393D090A]


def test_offsets_agree_with_one_draw():
    s = RandomStream(7, 3)
    whole = s.normals(103)
    assert np.array_equal(np.concatenate([s.normals(5), s.normals(50, 5), s.normals(48, 55)]), whole)

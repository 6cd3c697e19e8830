"""Pseudonyms: a keyed hash per person, the same for the same key and value whichever file or
night it comes from, different for every person when the key changes."""

from __future__ import annotations

import hashlib

import pandas as pd

from pipeline.privacy import pseudonymise, pseudonyms_of

KEY = b"0123456789abcdef0123456789abcdef"
OTHER = b"fedcba9876543210fedcba9876543210"


def test_keyed_blake2b_of_the_stripped_value():
    expected = hashlib.blake2b(b"10001", key=KEY, digest_size=16).hexdigest()
    out = pseudonymise(pd.Series([" 10001", "10001 ", "10002"]), KEY)
    assert out.tolist()[:2] == [expected, expected]
    assert out[2] != expected and len(out[2]) == 32


def test_a_new_key_changes_every_pseudonym_even_after_the_old_ones_were_remembered():
    values = [str(n) for n in range(10000, 10100)]
    first = pseudonyms_of(values, KEY)
    second = pseudonyms_of(values, OTHER)
    assert not set(first) & set(second)
    assert pseudonyms_of(values, KEY) == first  # and back: the same key, the same pseudonyms


def test_a_long_key_is_usable_and_differs_from_its_prefix():
    long_key = KEY * 4  # 128 bytes, more than BLAKE2b takes as a key
    assert pseudonyms_of(["10001"], long_key) != pseudonyms_of(["10001"], long_key[:64])

"""One-line errors (hpsearch.errors): the one way another library's message becomes a line."""

from __future__ import annotations

from hpsearch.errors import MissingStorage, StorageError, UsageError, first_line


def test_first_line_keeps_the_first_non_empty_line_within_the_width():
    assert first_line(ValueError("\n  bad value  \nTraceback detail")) == "bad value"
    assert first_line(ValueError("x" * 500)) == "x" * 200
    assert first_line(ValueError("abcdef"), width=3) == "abc"
    assert first_line(KeyError()) == "KeyError"  # nothing to say: the type's name


def test_storage_errors_are_value_errors_and_usage_errors_are_not():
    assert issubclass(MissingStorage, StorageError) and issubclass(StorageError, ValueError)
    assert not issubclass(UsageError, ValueError)  # the CLI tells a bad argument from a bad value

"""The examples in the public API's docstrings are true."""
import doctest

import pytest

import cleaner
import cleaner.pipeline


@pytest.mark.parametrize("module", [cleaner, cleaner.pipeline], ids=lambda m: m.__name__)
def test_docstring_examples(module):
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0

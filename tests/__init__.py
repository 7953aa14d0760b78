"""The test suite: every written plan checked by the independent validator (``tests/validator.py``)."""

"""cleantext: clean scraped web text for pre-training.

The public API is small:

>>> from cleaner import clean_text
>>> page = ("Council approves the budget for next year\\n\\n"
...         "Council approves the budget for next year\\n"
...         "The council approved the budget on Tuesday after a long debate.\\n\\n"
...         "Read also: Something else")
>>> clean_text(page)
'Council approves the budget for next year\\n\\nThe council approved the budget on Tuesday after a long debate.'

`Pipeline` runs the stages over a stream of `Document`s; `repair_text` is the
encoding stage on its own; `decode_bytes` turns bytes into text.
"""
from .decode import DecodeError, decode_bytes
from .document import Document, Removal
from .pipeline import CleanOptions, Pipeline, clean_text
from .repair import repair_text

__all__ = ["clean_text", "Pipeline", "CleanOptions", "Document", "Removal", "repair_text",
           "decode_bytes", "DecodeError"]
__version__ = "0.1.0"

"""cleantext: clean scraped web text for pre-training.

The public API is small:

>>> from cleaner import clean_text
>>> clean_text("Title\\n\\nTitle\\nThe body of the article.\\n\\nRead also: Something else")
'Title\\n\\nThe body of the article.'

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

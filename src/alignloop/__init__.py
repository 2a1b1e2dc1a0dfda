"""alignloop: run the whole alignment loop for a language model from one written constitution.

The package is laid out by stage of the loop: ``constitution`` (specify), ``train``,
``guard``, ``redteam`` and ``evals``, plus the shared ``models``, ``data``, ``store``,
``report`` and ``cli`` layers. Heavy libraries (torch, transformers) are imported lazily.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]

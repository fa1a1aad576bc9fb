"""corpusbuilder: open-licence text corpora with provenance for every document."""

__version__ = "0.1.0"

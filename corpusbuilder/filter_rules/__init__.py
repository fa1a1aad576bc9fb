"""The rules behind ``corpusbuilder.filters``: one module per family of heuristics."""

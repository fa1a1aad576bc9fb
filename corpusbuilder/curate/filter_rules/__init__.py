"""The rules behind ``corpusbuilder.curate.filters``: one module per family of heuristics."""

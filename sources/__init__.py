"""The built-in source adapters; each registers through the `corpusbuilder.sources` entry points."""

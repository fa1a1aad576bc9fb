"""Releases: freeze a manifest of rows, write the language-split shards, the card, the provenance
files and croissant.json, the same bytes every time; publish them to a folder or the Hub, read them
back, compare two of them, and look a text up in them.
"""

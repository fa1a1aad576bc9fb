"""corpusbuilder: open-licence text corpora with provenance for every document."""

import os
import sys

__version__ = "0.1.0"

# Arrow's jemalloc pool gives freed memory back to the system; its default, mimalloc, keeps it
# for reuse. Writing the files of a 500k-document release, the build process's anonymous memory
# peaked at 390 MiB with jemalloc and 596 MiB with mimalloc (bench/READING.md). The variable is
# read when pyarrow loads, so it is set before any module imports pyarrow, and worker processes
# inherit it; a value the user set wins. Windows wheels have no jemalloc.
if sys.platform != "win32":
    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "jemalloc")

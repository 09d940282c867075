"""Bounds on untrusted input evaluated in the server's process: templates, YAML, JSON bodies.

One place for every limit, so the README, the messages and the tests agree. Each bound is far
above what a real pipeline needs and far below what would exhaust the process.
"""

from __future__ import annotations

MIB = 1024 * 1024

# --- templates ({{ ... }} and if:) -----------------------------------------------------------
#: Largest value a template may make, intermediate or final (characters of a string, bytes of
#: an integer, 8 per item of a list or mapping plus the items themselves, shared items counted
#: each time they appear) and the most text a template may output.
MAX_TEMPLATE_VALUE = 1 * MIB
#: Sum of the sizes of every value one evaluation makes: many variables each under the limit.
MAX_TEMPLATE_ALLOCATED = 16 * MIB
#: Largest integer (in bits); arithmetic on bigger ones can take minutes (division is quadratic).
MAX_TEMPLATE_INT_BITS = 4096
#: Operations (calls, filters, operators, loop iterations) in one evaluation.
MAX_TEMPLATE_STEPS = 100_000
#: Wall-clock time for one evaluation, a backstop behind the step count.
MAX_TEMPLATE_SECONDS = 2.0
#: Items ``range()`` may produce.
MAX_TEMPLATE_RANGE = 100_000
#: Nesting of a value a template makes (lists in lists...).
MAX_TEMPLATE_DEPTH = 100

# --- YAML (pipeline files, `validate`, CLI parameters) ---------------------------------------
#: Characters of one YAML document.
MAX_YAML_CHARS = 1 * MIB
#: Bytes of a YAML file read at all (4 per character at most in UTF-8): a bigger file is
#: refused from its size, before any of it is read into memory.
MAX_YAML_FILE_BYTES = 4 * MAX_YAML_CHARS
#: Nesting of collections, counted through aliases.
MAX_YAML_DEPTH = 100
#: Nodes (scalars and collections) once every alias is expanded.
MAX_YAML_NODES = 100_000

# --- JSON request bodies ---------------------------------------------------------------------
#: Nesting of arrays and objects in a request body.
MAX_JSON_DEPTH = 64
#: Integers in a body are 64-bit signed, what a SQL BIGINT holds.
MIN_JSON_INT = -(2**63)
MAX_JSON_INT = 2**63 - 1

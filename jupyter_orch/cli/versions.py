"""``jupyter orch diff NAME V1 V2``: what changed between two versions of a pipeline."""

from __future__ import annotations

import argparse
import json
import sys

from ..masking import mask_json, mask_text
from .orchestrator import open_orchestrator
from .output import EXIT_OK


def cmd_diff(args: argparse.Namespace) -> int:
    from ..versions.diff import diff_json, diff_text, version_diff

    store = open_orchestrator(args).store
    diff = version_diff(store, args.name, args.old, args.new)  # NotFoundError: exit 2
    if args.json:
        print(json.dumps(mask_json(diff_json(diff)), indent=2))
        return EXIT_OK
    # Plain text: rich would read the diff's brackets as markup; colour only for a terminal
    sys.stdout.write(mask_text(diff_text(diff, color=sys.stdout.isatty())))
    return EXIT_OK

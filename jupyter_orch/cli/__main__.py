"""``python -m jupyter_orch.cli``: the ``jupyter orch`` command."""

import sys

from . import main

sys.exit(main())

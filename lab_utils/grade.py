"""`python -m lab_utils.grade`: grade learner notebooks, or a whole class. The command lives in `lab_utils.course.cli`.

python -m lab_utils.grade notebooks/01_softmax.ipynb [--json grades.json]
python -m lab_utils.grade CLASS_DIR --out RESULTS_DIR [--workers N] [--scheduler tcp://HOST:PORT] [--regrade]
"""

import sys

from lab_utils.course.cli import main

if __name__ == "__main__":
    sys.exit(main())

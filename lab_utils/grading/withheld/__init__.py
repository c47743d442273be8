"""What the grader's sandbox shows the learner's kernel in place of the lab's answers (see `sandbox.WITHHELD`).

Whatever a learner's kernel can import, a learner's function can call. So when grading, bubblewrap binds
`checks/` (this package's) over `lab_utils/checks` (the judges and instant checks) and `module.py` over
`lab_utils/reference.py` (the reference maths) and `lab_utils/model.py` (the reference model, whose
`build_model`, `compile_model` and `predict_proba` answer exercises). The notebooks' imports of them still
succeed; calling anything from them does not compute an answer.
"""

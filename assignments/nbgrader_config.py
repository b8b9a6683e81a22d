"""nbgrader configuration of the ChainSim course (nbgrader 0.9).

Run every ``nbgrader`` command from this folder (the course root), for example
``nbgrader generate_assignment 01-merkle-pow``. See README.md for the whole workflow.

Course id
---------
nbgrader keys its gradebook and its exchange folder by ``course_id``. Use one id per
offering per institution, for example ``szu-blockchain-2026-fall`` or
``sustech-cs305-2027s``, so that two courses on one server never share submissions or
grades. Either edit the default below, or leave this file untouched and set the
environment variable before running nbgrader::

    export CHAINSIM_COURSE_ID=szu-blockchain-2026-fall

(or put ``c.CourseDirectory.course_id = "..."`` in a ``nbgrader_config.py`` in your
Jupyter config directory, ``~/.jupyter/``, which JupyterHub deployments often manage).
"""

import os

c = get_config()  # noqa: F821  (injected by traitlets when it loads this file)

# Grading runs notebooks in a kernel: keep progress bars out of the logs and outputs.
os.environ.setdefault("TQDM_DISABLE", "1")

# ---------------------------------------------------------------------------------------
# Course directory: everything is relative to the folder holding this file, so the course
# can be copied or cloned anywhere (the grading test copies it into a temporary folder).
# ---------------------------------------------------------------------------------------
c.CourseDirectory.course_id = os.environ.get("CHAINSIM_COURSE_ID", "chainsim-101")
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.source_directory = "source"  # instructor notebooks (generated from src/)
c.CourseDirectory.release_directory = "release"  # student versions
c.CourseDirectory.submitted_directory = "submitted"  # submitted/<student>/<assignment>/
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"
# The gradebook defaults to SQLite at <root>/gradebook.db, which is right for one
# instructor grading at a time. Several graders at once need a server database, e.g.
# c.CourseDirectory.db_url = "postgresql://nbgrader@db.example.edu/chainsim_101"
# (SQLite does not support simultaneous writers).

# generate_assignment copies every file in source/<id>/ (except the default ignore list:
# checkpoints, *.pyc, __pycache__) to students: that is why the text sources live in src/.

# ---------------------------------------------------------------------------------------
# Students: autograde refuses submissions from students missing from the gradebook, so a
# typo in a folder name cannot create a phantom student. Import the class list first:
#     nbgrader db student import students.csv   (columns: id,first_name,last_name,email)
# ---------------------------------------------------------------------------------------
c.Autograde.create_student = False

# ---------------------------------------------------------------------------------------
# Executing notebooks (generate_assignment --validate, autograde): a per-cell time limit.
# Every ChainSim assignment runs in seconds; a cell that takes longer than this is an
# infinite loop in a student's answer. There is no sandbox: graders run students' code
# with their own permissions (use a container or a throw-away account for large classes).
# ---------------------------------------------------------------------------------------
c.ExecutePreprocessor.timeout = 30

# ---------------------------------------------------------------------------------------
# What students see where an answer was removed (bilingual course).
# ---------------------------------------------------------------------------------------
c.ClearSolutions.code_stub = {
    "python": "# YOUR CODE HERE (在此编写代码)\nraise NotImplementedError()",
}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE (在此作答)"

# ---------------------------------------------------------------------------------------
# Exchange (release_assignment / fetch / submit / collect). The default file exchange at
# /srv/nbgrader/exchange must be one folder shared by instructor and students (the same
# machine, or NFS under JupyterHub on Kubernetes). Without a shared filesystem use a REST
# exchange such as ngshare or nbexchange instead. To try the workflow on one machine:
#     c.Exchange.root = "/tmp/exchange"
# ---------------------------------------------------------------------------------------

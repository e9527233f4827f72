"""Build hook: a wheel carries the top-level rules/, templates/, locales/ and kb/ folders.

They live at the top of the repository, where an admin finds them; at build time
they are copied into the package as `postdesk/shipped/<name>` (see
`postdesk.config.shipped`). An editable install reads them in place.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
FOLDERS = ("rules", "templates", "locales", "kb")


class BuildWithShippedFolders(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "postdesk" / "shipped"
        for name in FOLDERS:
            shutil.copytree(HERE / name, target / name, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("__pycache__"))


setup(cmdclass={"build_py": BuildWithShippedFolders})

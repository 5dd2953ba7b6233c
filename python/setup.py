"""pip install --no-build-isolation ./python: builds the extension with the repository's CMake
build (the same objects `make build` makes, in ../build or $IA_BUILD_DIR) and installs the
package. Needs Debian's setuptools and wheel only: nothing comes from PyPI."""

import os
import pathlib
import shutil
import subprocess

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = pathlib.Path(__file__).resolve().parent.parent


class CMakeBuild(build_ext):
    """Builds the target _core in the repository's build tree and copies it into the wheel."""

    def build_extension(self, ext):
        build = pathlib.Path(os.environ.get("IA_BUILD_DIR", ROOT / "build"))
        jobs = os.environ.get("JOBS", str(os.cpu_count() or 1))
        subprocess.check_call(["cmake", "-S", str(ROOT), "-B", str(build),
                               "-DCMAKE_BUILD_TYPE=RelWithDebInfo", "-DIA_PYTHON=ON"],
                              stdout=subprocess.DEVNULL)
        subprocess.check_call(["cmake", "--build", str(build), "--target", "_core", "-j", jobs])
        built = sorted((build / "python" / "ipfs_accelerate_py").glob("_core*.so"))
        if not built:
            raise RuntimeError(f"the build made no _core*.so under {build}/python")
        target = pathlib.Path(self.get_ext_fullpath(ext.name))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(built[-1], target)


setup(
    name="ipfs_accelerate_py",
    version="0.1.0",
    description="IPFS Accelerate: inference on content-addressed models, over the C++ core",
    packages=["ipfs_accelerate_py"],
    package_data={"ipfs_accelerate_py": ["py.typed", "*.pyi"]},
    ext_modules=[Extension("ipfs_accelerate_py._core", sources=[])],
    cmdclass={"build_ext": CMakeBuild},
    python_requires=">=3.9",
    install_requires=["numpy"],
    zip_safe=False,
)

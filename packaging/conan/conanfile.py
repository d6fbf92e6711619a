# Conan 2 recipe for rill. Build and test from the repository root:
#   conan create packaging/conan --build=missing
# It builds the compiled part with rill's own CMake and packages the installed tree
# (headers, library, rillConfig.cmake), so consumers use find_package(rill) as with
# any other install. Dependencies come from Conan Center here instead of Debian.
import os

from conan import ConanFile
from conan.tools.cmake import CMake, CMakeToolchain, CMakeDeps, cmake_layout
from conan.tools.files import copy


class RillConan(ConanFile):
    name = "rill"
    version = "0.1.0"
    license = "MIT"
    description = "Machine learning on live streams, in the application's own thread"
    topics = ("machine-learning", "streaming", "simd", "low-latency")
    settings = "os", "arch", "compiler", "build_type"
    options = {"shared": [True, False], "fPIC": [True, False]}
    default_options = {"shared": False, "fPIC": True}

    def export_sources(self):
        # The recipe lives two levels below the source tree it packages.
        root = os.path.join(self.recipe_folder, "..", "..")
        for pattern in ("CMakeLists.txt", "cmake/*", "include/*", "src/*", "LICENSE", "README.md"):
            copy(self, pattern, root, self.export_sources_folder)

    def layout(self):
        cmake_layout(self)

    def requirements(self):
        # Public: rill's headers include xsimd and moodycamel's queue.
        self.requires("xsimd/[>=9 <14]", transitive_headers=True)
        self.requires("concurrentqueue/[>=1.0.3]", transitive_headers=True)
        self.requires("readerwriterqueue/[>=1.0.6]", transitive_headers=True)
        self.requires("fmt/[>=9]")  # private to the compiled part

    def generate(self):
        tc = CMakeToolchain(self)
        for opt in ("TESTS", "TOOLS", "BENCHMARKS", "EXAMPLES"):
            tc.variables[f"RILL_BUILD_{opt}"] = False
        # The core only: the optional components would link the build host's own
        # hiredis / cpp-httplib, which this recipe does not declare.
        tc.variables["RILL_WITH_REDIS"] = False
        tc.variables["RILL_WITH_HTTP"] = False
        tc.generate()
        CMakeDeps(self).generate()

    def build(self):
        cmake = CMake(self)
        cmake.configure()
        cmake.build()

    def package(self):
        copy(self, "LICENSE", self.source_folder, os.path.join(self.package_folder, "licenses"))
        CMake(self).install()

    def package_info(self):
        # Consumers use the rillConfig.cmake that rill installs, not a generated one.
        self.cpp_info.set_property("cmake_find_mode", "none")
        self.cpp_info.builddirs.append(os.path.join("lib", "cmake", "rill"))

"""Regenerate all protobuf/gRPC Python code (plus typed stubs) from proto/.

The output goes to service/eligibility/_gen/v1/, a package nobody edits by hand (its name says it is
generated; only eligibility.api and the console's client import it). protoc names the modules after
the proto path (eligibility/v1/...); the one line where the generated gRPC module imports its
messages is pointed at the package they are copied to.
With --check, generate into a temporary directory and fail if anything differs
from what is checked in (CI runs this).
"""

from __future__ import annotations

import filecmp
import shutil
import sys
import tempfile
from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTO = ROOT / "proto"
GEN = ROOT / "service" / "eligibility" / "_gen"
OUT_PKG = GEN / "v1"
HEADER = '"""Generated from proto/eligibility/v1 by scripts/gen_proto.py. Do not edit."""\n'
GEN_HEADER = ('"""Generated code (scripts/gen_proto.py, `make proto`). Do not edit; only eligibility.api and the '
              'console\'s client import it."""\n')


def generate(out_root: Path) -> Path:
    """Run protoc for every .proto file into out_root; return the v1 package dir."""
    files = sorted(str(p.relative_to(PROTO)) for p in PROTO.rglob("*.proto"))
    include = Path(protoc.__file__).parent / "_proto"
    bindir = Path(sys.executable).parent
    args = [
        "protoc",
        f"-I{PROTO}",
        f"-I{include}",
        f"--python_out={out_root}",
        f"--grpc_python_out={out_root}",
        f"--plugin=protoc-gen-mypy={bindir / 'protoc-gen-mypy'}",
        f"--plugin=protoc-gen-mypy_grpc={bindir / 'protoc-gen-mypy_grpc'}",
        f"--mypy_out={out_root}",
        f"--mypy_grpc_out={out_root}",
        *files,
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    pkg = out_root / "eligibility" / "v1"
    (pkg / "__init__.py").write_text(HEADER)
    for f in pkg.glob("*_grpc.py*"):  # the messages live in eligibility._gen.v1, not eligibility.v1
        f.write_text(f.read_text().replace("from eligibility.v1 import", "from eligibility._gen.v1 import"))
    return pkg


def main() -> int:
    """Generate, or with --check compare against the checked-in code."""
    check = "--check" in sys.argv[1:]
    with tempfile.TemporaryDirectory() as tmp:
        pkg = generate(Path(tmp))
        if check:
            names = sorted(p.name for p in pkg.iterdir() if p.is_file())
            have = sorted(p.name for p in OUT_PKG.iterdir() if p.is_file()) if OUT_PKG.exists() else []
            _, mismatch, errors = filecmp.cmpfiles(pkg, OUT_PKG, names, shallow=False)
            gen_init = GEN / "__init__.py"
            if not gen_init.exists() or gen_init.read_text() != GEN_HEADER:
                mismatch = [*mismatch, "_gen/__init__.py"]
            if names != have or mismatch or errors:
                print(f"generated code is stale: {mismatch + errors or set(names) ^ set(have)}; run `make proto`")
                return 1
            print("generated code is fresh")
            return 0
        if OUT_PKG.exists():
            shutil.rmtree(OUT_PKG)
        shutil.copytree(pkg, OUT_PKG)
        (GEN / "__init__.py").write_text(GEN_HEADER)
        print(f"generated {OUT_PKG.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

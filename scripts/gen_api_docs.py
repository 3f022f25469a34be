"""Generate docs/API.md from the .proto files' comments (services, RPCs, messages, enums).

With --check, fail if docs/API.md is stale (CI runs this with the code generation check).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from google.protobuf import descriptor_pb2
from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "API.md"


def _comments(fd: descriptor_pb2.FileDescriptorProto) -> dict[tuple[int, ...], str]:
    return {tuple(loc.path): (loc.leading_comments or loc.trailing_comments).strip()
            for loc in fd.source_code_info.location}


def render() -> str:
    """The markdown text."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "set.pb"
        files = sorted(str(p.relative_to(ROOT / "proto")) for p in (ROOT / "proto").rglob("*.proto"))
        include = Path(protoc.__file__).parent / "_proto"
        if protoc.main(["protoc", f"-I{ROOT / 'proto'}", f"-I{include}", "--include_source_info",
                        f"--descriptor_set_out={out}", *files]) != 0:
            raise SystemExit("protoc failed")
        fds = descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes())
    lines = ["# API reference", "", "Generated from `proto/` by `scripts/gen_api_docs.py` (`make proto`). Do not edit.", ""]
    for fd in fds.file:
        c = _comments(fd)
        lines += [f"Package `{fd.package}` (`{fd.name}`)", ""]
        for si, svc in enumerate(fd.service):
            lines += [f"## service {svc.name}", "", c.get((6, si), ""), "", "| RPC | request | response | |",
                      "|---|---|---|---|"]
            for mi, m in enumerate(svc.method):
                stream = "stream " if m.server_streaming else ""
                doc = c.get((6, si, 2, mi), "").replace("\n", " ")
                lines.append(f"| `{m.name}` | `{m.input_type.split('.')[-1]}` | {stream}`{m.output_type.split('.')[-1]}` "
                             f"| {doc} |")
            lines.append("")
        lines += ["## messages", ""]
        for mi, msg in enumerate(fd.message_type):
            lines += [f"### {msg.name}", "", c.get((4, mi), ""), "", "| field | type | |", "|---|---|---|"]
            for fi, f in enumerate(msg.field):
                kind = f.type_name.split(".")[-1] if f.type_name else descriptor_pb2.FieldDescriptorProto.Type.Name(
                    f.type).removeprefix("TYPE_").lower()
                rep = "repeated " if f.label == descriptor_pb2.FieldDescriptorProto.LABEL_REPEATED else ""
                doc = c.get((4, mi, 2, fi), "").replace("\n", " ")
                lines.append(f"| `{f.name}` | {rep}{kind} | {doc} |")
            lines.append("")
        lines += ["## enums", ""]
        for ei, en in enumerate(fd.enum_type):
            lines += [f"### {en.name}", "", c.get((5, ei), ""), ""]
            for vi, v in enumerate(en.value):
                doc = c.get((5, ei, 2, vi), "").replace("\n", " ")
                lines.append(f"- `{v.name}` = {v.number}{' - ' + doc if doc else ''}")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def main() -> int:
    """Write, or with --check compare."""
    text = render()
    if "--check" in sys.argv[1:]:
        if not OUT.exists() or OUT.read_text() != text:
            print("docs/API.md is stale; run `make proto`")
            return 1
        print("docs/API.md is fresh")
        return 0
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(text)
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

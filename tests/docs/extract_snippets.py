#!/usr/bin/env python3
"""Extract the C++ code blocks of Markdown files so a test can compile them.

Usage:
    extract_snippets.py OUTDIR FILE.md [FILE.md ...]

Every fenced block opened by ```cpp (or ```c++) becomes OUTDIR/snippet_<file>_<n>.cpp,
where <file> is the Markdown file's name without its extension (characters other than
letters, digits and '_' become '_') and <n> counts that file's C++ blocks from 1.
Earlier snippet_<file>_*.cpp files in OUTDIR are removed first, so a deleted block
leaves no stale file behind. The written paths are printed, one per line. Each file
starts with a `#line` directive, so a compiler error names the Markdown file and line.

How a block is treated is set by an HTML comment (invisible when the Markdown is
rendered) on the last non-blank line before its opening fence:

  (no comment)
      The block is a whole translation unit and is written as it is.

  <!-- snippet: wrap -->
  <!-- snippet: wrap(std::uint64_t id, float a) -->
      The block is a fragment: statements that belong in a function body. It is
      written as
          #include <rill/rill.hpp>
          <the block's own #include lines, moved here>
          inline void rill_snippet(<the parameters given, if any>) {
            <the rest of the block>
          }
      The optional parameters declare the names the fragment uses without defining
      them (an event id, a timestamp, a value read elsewhere), so the text in the docs
      stays short and still compiles.

  <!-- snippet: skip -->
      The block is not extracted (output, pseudo-code, a deliberate compile error).

Any other `<!-- snippet: ... -->` comment is an error, as is an unterminated block;
both stop the script with exit status 2 and a FILE:LINE message.

Compile the results with, for example:
    for f in OUTDIR/*.cpp; do g++ -std=c++20 -fsyntax-only -Iinclude "$f" || exit 1; done

Python 3 standard library only.
"""

import pathlib
import re
import sys

FENCE_OPEN = re.compile(r"^(\s*)```\s*(cpp|c\+\+)\s*$")
FENCE_CLOSE = re.compile(r"^\s*```\s*$")
MARKER = re.compile(r"^\s*<!--\s*snippet:\s*(.*?)\s*-->\s*$")
WRAP = re.compile(r"^wrap(?:\((.*)\))?$")


class SnippetError(Exception):
    pass


def directive(lines, fence_index, md):
    """The snippet marker before the fence at `fence_index`: ('whole', None),
    ('wrap', params) or ('skip', None)."""
    i = fence_index - 1
    while i >= 0 and not lines[i].strip():
        i -= 1
    if i < 0:
        return "whole", None
    m = MARKER.match(lines[i])
    if not m:
        return "whole", None
    text = m.group(1)
    if text == "skip":
        return "skip", None
    w = WRAP.match(text)
    if w:
        return "wrap", (w.group(1) or "").strip()
    raise SnippetError(f"{md}:{i + 1}: unknown snippet marker '{text}' "
                       "(expected 'wrap', 'wrap(PARAMS)' or 'skip')")


def blocks(md):
    """Yields (first_code_line_number, code_lines, kind, params) per C++ block of `md`."""
    lines = md.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        m = FENCE_OPEN.match(lines[i])
        if not m:
            i += 1
            continue
        indent = len(m.group(1))
        kind, params = directive(lines, i, md)
        start = i + 1
        j = start
        while j < len(lines) and not FENCE_CLOSE.match(lines[j]):
            j += 1
        if j == len(lines):
            raise SnippetError(f"{md}:{i + 1}: ```cpp block is never closed")
        # Blocks inside list items are indented: remove the fence's indentation.
        code = [ln[indent:] if ln[:indent].strip() == "" else ln for ln in lines[start:j]]
        yield start + 1, code, kind, params
        i = j + 1


def render(md, first_line, code, kind, params):
    source = md.as_posix()
    if kind == "whole":
        return f'#line {first_line} "{source}"\n' + "\n".join(code) + "\n"
    includes = [ln for ln in code if ln.lstrip().startswith("#include")]
    out = ["#include <rill/rill.hpp>"] + includes
    out.append(f"inline void rill_snippet({params}) {{")
    # Hoisted #include lines become blank lines, so line numbers stay right.
    out.append(f'#line {first_line} "{source}"')
    out += ["" if ln.lstrip().startswith("#include") else ln for ln in code]
    out.append("}")
    return "\n".join(out) + "\n"


def main(argv):
    if len(argv) < 3:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    outdir = pathlib.Path(argv[1])
    outdir.mkdir(parents=True, exist_ok=True)
    try:
        for name in argv[2:]:
            md = pathlib.Path(name)
            stem = re.sub(r"[^A-Za-z0-9_]", "_", md.stem)
            for old in outdir.glob(f"snippet_{stem}_*.cpp"):
                old.unlink()
            n = 0
            for first_line, code, kind, params in blocks(md):
                n += 1  # skipped blocks keep their number, so names stay stable
                if kind == "skip":
                    continue
                path = outdir / f"snippet_{stem}_{n}.cpp"
                path.write_text(render(md, first_line, code, kind, params), encoding="utf-8")
                print(path)
    except (OSError, SnippetError) as e:
        print(f"extract_snippets: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

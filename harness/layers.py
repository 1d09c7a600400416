#!/usr/bin/env python3
"""Imports point one way: finds import circles between the files and the folders of a crate.

    python3 harness/layers.py core/src executors/src

For every `.rs` file under each source root, this reads the module paths it names (`use`
statements, with their braces expanded, and paths such as `crate::a::b`, `super::x` or a child
module's `x::` in the code), resolves each to the file that defines it (through `pub use`
re-exports in `lib.rs` and `mod.rs`, so a re-export is not itself an import), and reports:

- a circle between files (a file that names a module that names it back, directly or through
  others);
- a circle between the top-level folders and files of the crate (`graph/` -> `task/` ->
  `graph/`).

Test modules (`#[cfg(test)] mod tests { .. }` at the end of a file) are left out: a test may
reach anywhere. Exits 1 when it finds a circle, printing each one.
"""

import os
import re
import sys

IDENT = r"[A-Za-z_][A-Za-z0-9_]*"


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    out = []
    for line in text.splitlines():
        s = line.lstrip()
        if s.startswith("//"):
            continue
        # Drop string literals so that text like "a::b" is not read as a path.
        line = re.sub(r'"(?:[^"\\]|\\.)*"', '""', line)
        i = line.find("//")
        if i >= 0:
            line = line[:i]
        out.append(line)
    return "\n".join(out)


def cut_tests(text):
    m = re.search(r"#\[cfg\(test\)\]\s*(pub(\(crate\))?\s+)?mod\s+tests\b", text)
    return text[: m.start()] if m else text


def expand_use(tree):
    """Expands `a::{b, c::{d, e}}` into ['a::b', 'a::c::d', 'a::c::e']."""
    tree = re.sub(r"\s+", "", tree)
    tree = re.sub(r"\bas" + IDENT, "", tree)
    results = []

    def walk(prefix, s):
        # s is a comma-separated list at one level
        depth, start, parts = 0, 0, []
        for i, ch in enumerate(s):
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
            elif ch == "," and depth == 0:
                parts.append(s[start:i])
                start = i + 1
        parts.append(s[start:])
        for p in parts:
            if not p:
                continue
            j = p.find("{")
            if j >= 0:
                head = p[:j].rstrip(":")
                inner = p[j + 1 : p.rfind("}")]
                walk(prefix + ([head] if head else []), inner)
            else:
                results.append("::".join(prefix + [p]))

    walk([], tree)
    return results


class Crate:
    def __init__(self, root):
        self.root = root
        self.files = {}  # module path tuple -> file
        for dirpath, _, names in os.walk(root):
            for n in names:
                if not n.endswith(".rs"):
                    continue
                f = os.path.join(dirpath, n)
                rel = os.path.relpath(f, root)[:-3].split(os.sep)
                if rel[-1] in ("lib", "main", "mod"):
                    rel = rel[:-1]
                self.files[tuple(rel)] = f
        self.text = {}
        self.reexports = {}  # module -> {name: full path tuple}
        for mod, f in self.files.items():
            with open(f, encoding="utf-8") as fh:
                t = cut_tests(strip_comments(fh.read()))
            self.text[mod] = t
        for mod, t in self.text.items():
            table = {}
            for m in re.finditer(r"\bpub(?:\([^)]*\))?\s+use\s+([^;]+);", t):
                for p in expand_use(m.group(1)):
                    full = self.absolute(mod, p.split("::"))
                    if full is None:
                        continue
                    name = full[-1] if not p.endswith("*") else "*"
                    alias = re.search(r"\bas\s+(" + IDENT + r")", m.group(1))
                    if name == "*":
                        table.setdefault("*", []).append(tuple(full[:-1]))
                    else:
                        table[name] = tuple(full)
            self.reexports[mod] = table

    def children(self, mod):
        return {k[-1] for k in self.files if len(k) == len(mod) + 1 and k[:-1] == mod}

    def absolute(self, mod, parts):
        """A path as written in module `mod`, made absolute (a tuple from the crate root)."""
        if not parts:
            return None
        head = parts[0]
        if head == "crate":
            return list(parts[1:])
        if head == "self":
            return list(mod) + list(parts[1:])
        if head == "super":
            base = list(mod)
            while parts and parts[0] == "super":
                base = base[:-1]
                parts = parts[1:]
            return base + list(parts)
        if head in self.children(mod):
            return list(mod) + list(parts)
        return None  # an external crate, std, or a local item

    def resolve(self, path, seen=None):
        """The file module that defines what `path` names (following re-exports)."""
        seen = seen or set()
        path = tuple(p for p in path if p not in ("*",))
        best = ()
        for i in range(len(path), -1, -1):
            if path[:i] in self.files:
                best = path[:i]
                break
        rest = path[len(best) :]
        if rest and (best, rest[0]) not in seen:
            table = self.reexports.get(best, {})
            if rest[0] in table:
                seen.add((best, rest[0]))
                return self.resolve(table[rest[0]] + rest[1:], seen)
        return best

    def edges(self):
        out = {}
        for mod, t in self.text.items():
            names = set()
            uses = []
            for m in re.finditer(r"(?<!pub )(?<!pub\(crate\) )\buse\s+([^;]+);", t):
                uses.extend(expand_use(m.group(1)))
            body = re.sub(r"\bpub(?:\([^)]*\))?\s+use\s+[^;]+;", "", t)
            for m in re.finditer(r"\b((?:crate|super|self)(?:::" + IDENT + r")+)", body):
                uses.append(m.group(1))
            kids = self.children(mod)
            for m in re.finditer(r"(?<![:\w])(" + IDENT + r")::(" + IDENT + r")", body):
                if m.group(1) in kids:
                    uses.append(m.group(1) + "::" + m.group(2))
            for u in uses:
                full = self.absolute(mod, u.split("::"))
                if full is None:
                    continue
                target = self.resolve(full)
                if target != mod and target in self.files and target != ():
                    names.add(target)
            out[mod] = names
        return out


def cycles(graph):
    """Strongly connected components of more than one vertex (Tarjan)."""
    index, low, stack, on, comps = {}, {}, [], set(), []
    counter = [0]
    sys.setrecursionlimit(10000)

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                comps.append(sorted(comp))

    for v in list(graph):
        if v not in index:
            visit(v)
    return comps


def show(mod):
    return "::".join(mod) or "(crate root)"


def main(roots):
    bad = 0
    for root in roots:
        crate = Crate(root)
        edges = crate.edges()
        for comp in cycles(edges):
            bad += 1
            print(f"{root}: files import each other in a circle:")
            members = set(comp)
            for m in comp:
                back = sorted(show(t) for t in edges[m] if t in members)
                print(f"  {show(m)} -> {', '.join(back)}")
        top = {}
        for m, ts in edges.items():
            if not m:
                continue
            for t in ts:
                if t and t[0] != m[0]:
                    top.setdefault(m[0], set()).add(t[0])
        for comp in cycles(top):
            bad += 1
            print(f"{root}: folders import each other in a circle:")
            for m in comp:
                print(f"  {m} -> {', '.join(sorted(t for t in top[m] if t in comp))}")
    if bad:
        sys.exit(1)
    print("no import circles in " + ", ".join(roots))


if __name__ == "__main__":
    main(sys.argv[1:] or ["core/src", "executors/src"])

#!/usr/bin/env python3
"""cycles.py - finds dependency cycles between the user-space modules of src/.

A module is a .c file with its .h (alerts.c + alerts.h) and its internal
header if it has one (tracer_int.h). Module A uses module
B when A's .c or .h includes B's .h (directly), or when A's .c calls or names
a function, type or macro that B's .h declares (so a prototype copied into
A, without the include, still counts). A folder of src/ (src/hooks/) is part
of the module of its name: its files' uses are that module's, and its
headers' names are that module's. Prints each cycle found and exits 1, or
prints "no cycles (N modules)" and exits 0.

Usage: python3 scripts/cycles.py [SRC_DIR]   (default: src)
"""
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
COMMENT = re.compile(r'/\*.*?\*/|//[^\n]*', re.S)
STRING = re.compile(r'"(?:\\.|[^"\\\n])*"')
# names a header declares: functions, struct/enum/union tags, typedefs, macros
FUNC = re.compile(r'\b([a-z_][a-z0-9_]*)\s*\([^;{]*\)\s*(?:__attribute__\s*\(\(.*?\)\))?\s*;')
TAG = re.compile(r'\b(?:struct|enum|union)\s+([A-Za-z_][A-Za-z0-9_]*)\s*\{')
TYPEDEF = re.compile(r'\btypedef\b[^;]*?\b([A-Za-z_][A-Za-z0-9_]*)\s*(?:\)\s*\([^;]*\))?\s*;')
MACRO = re.compile(r'^\s*#\s*define\s+([A-Za-z_][A-Za-z0-9_]*)', re.M)
KEYWORDS = set('''auto bool char const double enum extern float inline int long register restrict
return short signed sizeof static struct typedef union unsigned void volatile _Bool'''.split())
ENUMVAL = re.compile(r'^\s*([A-Z][A-Z0-9_]+)\s*(?:=[^,\n]*)?,?', re.M)


def read(path):
    with open(path, encoding='utf-8', errors='replace') as f:
        return f.read()


def declared(header_text):
    t = COMMENT.sub(' ', header_text)
    names = set(FUNC.findall(t)) | set(MACRO.findall(t)) | set(TYPEDEF.findall(t))
    for m in TAG.finditer(t):
        names.add(m.group(1))
    for body in re.findall(r'\benum\b[^{;]*\{(.*?)\}', t, re.S):
        names |= set(ENUMVAL.findall(body))
    # not an include guard, and no keyword ("void (*fn)(void);" is a member)
    return {n for n in names if n not in KEYWORDS and not (n.startswith('MW_') and n.endswith('_H'))}


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else 'src'
    files = sorted(os.listdir(src))
    # x_int.h, x's internal header, is part of module x
    base_of = lambda f: f[:-6] if f.endswith('_int.h') else f[:-2]
    mods = sorted({base_of(f) for f in files if f.endswith(('.c', '.h'))} |
                  {f for f in files if os.path.isdir(os.path.join(src, f))})
    # each module's files: (path, is_c); a folder's files belong to the module of its name
    paths = {m: [] for m in mods}
    for m in mods:
        for ext in ('.c', '.h', '_int.h'):
            p = os.path.join(src, m + ext)
            if os.path.exists(p):
                paths[m].append((p, ext == '.c'))
        d = os.path.join(src, m)
        if os.path.isdir(d):
            for f in sorted(os.listdir(d)):
                if f.endswith(('.c', '.h')):
                    paths[m].append((os.path.join(d, f), f.endswith('.c')))
    decl = {}
    for m in mods:
        decl[m] = set()
        for p, is_c in paths[m]:
            if not is_c:
                decl[m] |= declared(read(p))
    # a name declared by two headers (a forward declaration) names no module
    owners = {}
    for m in mods:
        for n in decl[m]:
            owners.setdefault(n, set()).add(m)
    uses = {m: set() for m in mods}
    for m in mods:
        for p, is_c in paths[m]:
            text = read(p)
            for inc in INCLUDE.findall(text):
                # "hooks/internal.h" is the hooks module's; "alerts.h" the alerts module's
                base = inc.split('/')[0] if '/' in inc else base_of(os.path.basename(inc)) if inc.endswith('.h') else None
                if base in uses and base != m:
                    uses[m].add(base)
            if is_c:
                body = STRING.sub('""', COMMENT.sub(' ', text))
                for word in set(re.findall(r'[A-Za-z_][A-Za-z0-9_]*', body)):
                    o = owners.get(word)
                    if o and len(o) == 1 and m not in o and not decl[m] & {word}:
                        uses[m] |= o
    # cycles: strongly connected components with more than one module
    index, low, stack, on, comps = {}, {}, [], set(), []

    def visit(v, counter=[0]):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(uses[v]):
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

    sys.setrecursionlimit(10000)
    for m in mods:
        if m not in index:
            visit(m)
    if not comps:
        print('no cycles (%d modules)' % len(mods))
        return 0
    for comp in comps:
        edges = ['%s -> %s' % (a, b) for a in comp for b in sorted(uses[a]) if b in comp]
        print('cycle: %s (%s)' % (' '.join(comp), ', '.join(edges)))
    return 1


if __name__ == '__main__':
    sys.exit(main())

#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""kerneldoc.py - check the kernel-doc of baton's functions.

Public headers (include/uapi/baton/*.h, strict): every BATON_API function
has a kernel-doc block right before it, "name - summary" on its first
line, an @arg: line for each parameter, a "Context:" line, and a
"Return:" line unless it returns void.  Every documented struct lists its
public members (those before a /* private: */ comment), and every
function-pointer member's description and every function-pointer typedef
say Context: too: a callback's context is part of the contract.  A
public function carries BATON_MAIN_ONLY (after its parameters) exactly
when its Context: says "main thread" first and names no other thread in
that sentence (not an IO worker, not any thread): the clang attribute
and the text say the same (include/uapi/baton/api.h).

Internal sources (include/baton/*.h and lib/*.c, lenient): a function
needs no kernel-doc block, but one that has one follows the same rules
(name, @args, Context:, Return: unless void).

One place per function: a function's kernel-doc is written once, so the
two copies cannot drift.  A public (BATON_API) function is documented in
its public header only, never again at its definition in lib/ (notes on
how it works go in a plain /* comment there); an internal function is
documented either next to its prototype or at its definition, not both.

Usage: kerneldoc.py [--srctree DIR] [--public PATH...] [--internal PATH...]
Without paths: --public include/uapi/baton --internal include/baton lib
(in --srctree, default: two levels above this script).
Problems are printed as file:line: message; exit status 1 when any.

api_items() gives apidoc.py, which renders Documentation/api.rst, the
documented declarations of a header as this checker finds them.
"""

import argparse
import os
import re
import sys

# No __pycache__ in the source tree: a build must leave it untouched.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import csource  # noqa: E402

STORAGE = {'static', 'inline', 'extern', 'BATON_API',
           '__inline', '__inline__', '_Noreturn'}


class Checker:
    def __init__(self, srctree):
        self.srctree = srctree
        self.problems = []
        self.nfuncs = 0
        self.documented = {}    # function name -> [(path, line)]

    def error(self, path, line, msg):
        rp = os.path.relpath(path, self.srctree)
        self.problems.append('%s:%d: %s' % (path if rp.startswith('..')
                                            else rp, line, msg))

    # ------------------------------------------------------------ functions
    def check_file(self, path, strict):
        src = csource.Source(path)
        docs = csource.kernel_docs(src)
        toks = src.tokens
        for d in docs:
            if d.kind == 'unknown':
                self.error(path, d.line, 'a /** comment that is not '
                           'kernel-doc: the first line must be "name - '
                           'summary", "struct name - summary" or "DOC: '
                           'title" (use /* for other comments)')
        for i, decl_end in declarations(toks):
            t = toks[i]
            func = function_decl(toks, i, decl_end)
            if func is not None:
                name, ret_void, params, line = func
                doc = csource.doc_before(src, t.line, docs)
                public = strict and any(x.text == 'BATON_API'
                                        for x in toks[i:decl_end])
                if doc is not None and doc.kind == 'function':
                    self.check_function(path, doc, name, ret_void, params,
                                        line)
                    if public:
                        self.check_role(path, doc, name,
                                        toks[i:decl_end], line)
                    self.documented.setdefault(name, []).append(
                        (path, doc.line))
                    if not strict and any(x.text == 'BATON_API'
                                          for x in toks[i:decl_end]):
                        self.error(path, doc.line, '%s: a public function '
                                   'documented at its definition: its '
                                   'kernel-doc belongs in its public header '
                                   'alone (use /* for notes here)' % name)
                elif public:
                    self.error(path, line, '%s: a public function without '
                               'a kernel-doc block right before it' % name)
            elif t.text in ('struct', 'union', 'typedef'):
                doc = csource.doc_before(src, t.line, docs)
                if doc is not None and doc.kind in ('struct', 'union',
                                                    'typedef'):
                    if t.text == 'typedef':
                        self.check_typedef(path, doc, toks, i, decl_end)
                    elif strict:
                        self.check_struct(src, doc, toks, i, decl_end)

    def check_once(self):
        """Every function's kernel-doc is in one place."""
        for name, places in sorted(self.documented.items()):
            for path, line in places[1:]:
                first = os.path.relpath(places[0][0], self.srctree)
                self.error(path, line, '%s: kernel-doc written twice (also '
                           'at %s:%d); keep one' % (name, first,
                                                     places[0][1]))

    @staticmethod
    def statement_end(toks, i):
        """Index of the ';' or the '{' of a function body that ends the
        declaration starting at i (braces of a struct are skipped)."""
        j = i
        while j < len(toks):
            x = toks[j].text
            if toks[j].kind == 'pp':
                j += 1
                continue
            if x in ('(', '['):
                j = csource.match_close(toks, j) + 1
                continue
            if x == '{':
                # a function body follows a ')' (maybe with attributes)
                k = j - 1
                while k > i and toks[k].kind == 'ident' and \
                        csource.is_attr(toks[k].text):
                    k -= 1
                if toks[k].text == ')':
                    return j
                j = csource.match_close(toks, j) + 1
                continue
            if x == ';':
                return j
            j += 1
        return len(toks) - 1

    @staticmethod
    def skip_body(toks, j):
        if j < len(toks) and toks[j].text == '{':
            return csource.match_close(toks, j)
        return j

    def check_function(self, path, doc, name, ret_void, params, line):
        self.nfuncs += 1
        if doc.name != name:
            self.error(path, doc.line, 'the kernel-doc for "%s" is right '
                       'before %s()' % (doc.name, name))
            return
        if not doc.summary:
            self.error(path, doc.line, '%s: no summary after "%s - "'
                       % (name, name))
        for p in params:
            if p not in doc.params:
                self.error(path, doc.line, '%s: parameter @%s is not '
                           'described' % (name, p))
        for p in doc.params:
            if p not in params:
                self.error(path, doc.param_lines[p], '%s: @%s is not a '
                           'parameter' % (name, p))
        if 'Context' not in doc.sections:
            self.error(path, doc.line, '%s: no "Context:" line (which '
                       'thread may call it, what it must hold)' % name)
        if 'Returns' in doc.sections:
            self.error(path, doc.section_lines['Returns'], '%s: write '
                       '"Return:", not "Returns:"' % name)
        elif not ret_void and 'Return' not in doc.sections:
            self.error(path, doc.line, '%s: no "Return:" line and it does '
                       'not return void' % name)

    def check_role(self, path, doc, name, decl, line):
        """BATON_MAIN_ONLY on a public function iff its Context: is
        main-only (see main_only_context())."""
        marked = any(x.text == 'BATON_MAIN_ONLY' for x in decl)
        wants = main_only_context(doc.sections.get('Context', ''))
        if wants and not marked:
            self.error(path, line, '%s: "Context: main thread" but no '
                       'BATON_MAIN_ONLY after its parameters' % name)
        elif marked and not wants:
            self.error(path, line, '%s: BATON_MAIN_ONLY but its Context: '
                       'is not "main thread" alone' % name)

    def check_typedef(self, path, doc, toks, i, end):
        """A documented function-pointer typedef is a callback: it says
        where it runs."""
        texts = [t.text for t in toks[i:end]]
        if '(' in texts and '*' in texts and 'Context' not in doc.sections:
            self.error(path, doc.line, 'typedef %s: a callback type without '
                       'a "Context:" line (where it runs)' % doc.name)

    def check_struct(self, src, doc, toks, i, end):
        """Public struct: every public member is described, and every
        function-pointer member's description says Context:."""
        j = i
        while j < end and toks[j].text != '{':
            j += 1
        if j >= end:
            return
        close = csource.match_close(toks, j)
        private_line = private_from(src, toks, j, close)
        for name, line, is_fp in struct_members(toks, j + 1, close):
            if private_line is not None and line > private_line:
                continue
            if name not in doc.params:
                self.error(src.path, line, 'struct %s: member @%s is not '
                           'described in its kernel-doc' % (doc.name, name))
            elif is_fp and 'Context:' not in doc.params[name]:
                self.error(src.path, doc.param_lines[name], 'struct %s: '
                           'callback @%s does not say "Context:" (where it '
                           'runs)' % (doc.name, name))


def main_only_context(text):
    """Whether a Context: section says main thread only: it starts with
    "main thread" and its first sentence names no IO worker and no "any
    thread" (baton_client_write()'s "main thread (...), or the IO worker
    that owns @c" is not main-only)."""
    text = ' '.join(text.split())
    first = re.split(r'(?<=\.)\s', text)[0]
    return bool(re.match(r'main thread\b', text)) and \
        not re.search(r'IO worker|any thread', first)


def declarations(toks):
    """(start, end) token indexes of each top-level declaration or
    definition: end is its ';' or the '{' of a function body.  Directives
    and extern "C" { } are stepped over."""
    i = 0
    while i < len(toks):
        t = toks[i]
        if t.kind == 'pp' or t.text == '}':
            i += 1      # a directive; the end of extern "C" {
            continue
        if t.text == 'extern' and i + 2 < len(toks) and \
                toks[i + 1].kind == 'string' and toks[i + 2].text == '{':
            i += 3
            continue
        end = Checker.statement_end(toks, i)
        yield i, end
        i = Checker.skip_body(toks, end) + 1


def private_from(src, toks, open_brace, close):
    """The line of the /* private: */ comment inside the struct body
    toks[open_brace..close], or None: members after it are not public."""
    for c in src.comments:
        if toks[open_brace].line <= c.line <= toks[close].line and \
                re.match(r'^/\*\s*private:', c.text):
            return c.line
    return None


def function_decl(toks, i, end):
    """(name, returns void, [param names], line) when toks[i:end] declare
    or define a function, else None."""
    seg = [t for t in toks[i:end] if t.kind != 'pp']
    if not seg or seg[0].kind != 'ident' or seg[0].text == 'typedef':
        return None
    ret = []
    k = 0
    while k < len(seg):
        t = seg[k]
        if t.text in ('=', '{'):
            return None     # a variable's initializer, a struct body
        if t.kind == 'ident' and csource.is_attr(t.text):
            # an attribute (macro), with or without arguments
            if k + 1 < len(seg) and seg[k + 1].text == '(':
                k = csource.match_close(seg, k + 1) + 1
            else:
                k += 1
            continue
        if t.text == '(':
            if k == 0 or seg[k - 1].kind != 'ident' or \
                    seg[k - 1].text in ('_Atomic', 'typeof', 'sizeof'):
                return None     # e.g. a function-pointer variable
            close = csource.match_close(seg, k)
            name = seg[k - 1]
            ret = [x for x in ret[:-1] if x not in STORAGE]
            return (name.text, ret == ['void'], param_names(seg[k + 1:close]),
                    name.line)
        ret.append(t.text)
        k += 1
    return None


def param_names(toks):
    """The parameter names of a prototype's parameter list."""
    names = []
    for part in csource.split_commas(toks):
        texts = [t.text for t in part]
        if texts in ([], ['void']):
            continue
        if texts == ['...']:
            names.append('...')
            continue
        name = csource.declarator_name(csource.strip_attrs(part))[0]
        if name:
            names.append(name)
    return names


def member_segments(toks, a, b):
    """The tokens of each member declaration in toks[a:b] (a struct's
    body), without its ';' and without directives."""
    out = []
    i = a
    while i < b:
        j = i
        while j < b and toks[j].text != ';':
            if toks[j].text in ('(', '[', '{'):
                j = csource.match_close(toks, j) + 1
                continue
            j += 1
        seg = [t for t in toks[i:j] if t.kind != 'pp']
        i = j + 1
        if seg:
            out.append(seg)
    return out


def struct_members(toks, a, b):
    """(name, line, is function pointer) of each member in toks[a:b];
    nested anonymous aggregates contribute their members."""
    out = []
    for seg in member_segments(toks, a, b):
        brace = next((k for k, t in enumerate(seg) if t.text == '{'), None)
        if brace is not None:
            close = csource.match_close(seg, brace)
            after = [t for t in seg[close + 1:] if t.kind == 'ident'
                     and not t.text.startswith('__')]
            if after:
                out.append((after[0].text, seg[0].line, False))
            else:
                out += struct_members(seg, brace + 1, close)
            continue
        for part in csource.split_commas(seg):
            clean = csource.strip_attrs(part)
            name = csource.declarator_name(clean)[0]
            if name:
                out.append((name, part[0].line,
                            csource.is_function_pointer(clean)))
    return out


class ApiItem:
    """One documented declaration of a header, for apidoc.py.

    kind: 'function', 'macro', 'struct', 'union' or 'typedef'; name; doc
    (its csource.KernelDoc); decl: its tokens without directives and
    without the ';' (a function's without its body and BATON_API), or
    for a macro its '#define name(args)'; members: a struct's public member
    declarations (token lists); private: whether it has private members.
    """

    def __init__(self, kind, name, doc, decl, members=None, private=False):
        self.kind = kind
        self.name = name
        self.doc = doc
        self.decl = decl
        self.members = members or []
        self.private = private


def api_items(path):
    """The documented functions, function-like macros, structs, unions
    and typedefs of the header at @path, in the order they appear.  A
    declaration counts when the kernel-doc block right before it names
    it (the checks above report the ones that do not)."""
    src = csource.Source(path)
    docs = csource.kernel_docs(src)
    toks = src.tokens
    found = []      # (line, ApiItem)
    for t in toks:
        m = re.match(r'#\s*define\s+(\w+)\(', t.text) if t.kind == 'pp' \
            else None
        doc = csource.doc_before(src, t.line, docs) if m else None
        if doc is not None and doc.kind == 'function' and \
                doc.name == m.group(1):
            found.append((t.line, ApiItem('macro', doc.name, doc,
                                          macro_head(t.text))))
    for i, end in declarations(toks):
        t = toks[i]
        doc = csource.doc_before(src, t.line, docs)
        if doc is None:
            continue
        seg = [x for x in toks[i:end] if x.kind != 'pp']
        func = function_decl(toks, i, end)
        if func is not None:
            if doc.kind == 'function' and doc.name == func[0]:
                decl = [x for x in seg if x.text not in ('BATON_API',
                                                         'extern')]
                found.append((t.line, ApiItem('function', doc.name, doc,
                                              decl)))
        elif t.text == 'typedef' and doc.kind == 'typedef':
            found.append((t.line, ApiItem('typedef', doc.name, doc, seg)))
        elif t.text in ('struct', 'union') and doc.kind == t.text:
            j = i
            while j < end and toks[j].text != '{':
                j += 1
            if j >= end:
                continue    # a documented forward declaration
            close = csource.match_close(toks, j)
            priv = private_from(src, toks, j, close)
            members = [m for m in member_segments(toks, j + 1, close)
                       if priv is None or m[0].line < priv]
            found.append((t.line, ApiItem(t.text, doc.name, doc,
                                          seg, members,
                                          priv is not None)))
    found.sort(key=lambda x: x[0])
    return [item for _, item in found]


def macro_head(text):
    """'#define name(args)' of a directive's text '#define name(args) ...'."""
    k = text.index('(')
    depth = 0
    for j in range(k, len(text)):
        depth += {'(': 1, ')': -1}.get(text[j], 0)
        if depth == 0:
            return text[:j + 1]
    return text


def files_in(paths, exts):
    out = []
    for p in paths:
        if os.path.isdir(p):
            for name in sorted(os.listdir(p)):
                if name.endswith(exts):
                    out.append(os.path.join(p, name))
        elif os.path.exists(p):
            out.append(p)
        else:
            print('%s: no such file or directory' % p, file=sys.stderr)
            sys.exit(1)
    return out


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description='Check baton\'s kernel-doc.')
    ap.add_argument('--srctree', default=os.path.dirname(os.path.dirname(
        here)), help='the source tree (default: %(default)s)')
    ap.add_argument('--public', nargs='*', metavar='PATH',
                    help='strict: public headers (default: '
                         'include/uapi/baton)')
    ap.add_argument('--internal', nargs='*', metavar='PATH',
                    help='lenient: internal sources (default: '
                         'include/baton lib)')
    ap.add_argument('-q', '--quiet', action='store_true')
    args = ap.parse_args(argv)
    srctree = os.path.abspath(args.srctree)

    def resolve(paths):
        return [os.path.abspath(p) for p in paths]

    if args.public is None and args.internal is None:
        args.public = [os.path.join(srctree, 'include/uapi/baton')]
        args.internal = [os.path.join(srctree, p)
                         for p in ('include/baton', 'lib')]
    chk = Checker(srctree)
    for path in files_in(resolve(args.public or []), ('.h',)):
        chk.check_file(path, strict=True)
    for path in files_in(resolve(args.internal or []), ('.h', '.c')):
        chk.check_file(path, strict=False)
    chk.check_once()
    if chk.problems:
        for p in chk.problems:
            print(p, file=sys.stderr)
        return 1
    if not args.quiet:
        print('kerneldoc: %d documented functions checked' % chk.nfuncs)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))

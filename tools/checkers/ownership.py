#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""ownership.py - check the ownership rules of Documentation/ownership.rst:
every field of every `} __shared_struct;` struct and every global carries
exactly one known __rule(), ATOMIC and PENDING ones are atomic types,
every struct another thread reaches is marked, the code touches IMMUTABLE,
ATOMIC and PENDING fields only as their rules allow (ownership_access.py),
and Documentation/ownership.rst lists every field and global.

Usage:
  ownership.py [PATH...]                   check (default: include lib tools)
  ownership.py --table [PATH...]           print the field table (reST)
  ownership.py --check-doc DOC [PATH...]   check, and compare DOC's table
  ownership.py --update-doc DOC [PATH...]  rewrite DOC's table

PATHs are files or directories (searched for *.h and *.c); the default
ones are in the source tree (--srctree, default: two levels above this
script), less EXCLUDED_DIRS, and messages name files relative to it.
Problems are printed as file:line: message; the exit status is 1 when
there is any.

Code that cannot include <baton/compiler.h> (the public headers, and
applications built on them such as tools/kvd) writes the same
annotations as comments: `/* __rule(NAME): text */` at the end of the
line where a member's declaration ends, and `} /* __shared_struct */;`.
"""

import argparse
import os
import re
import sys

# No __pycache__ in the source tree: a build must leave it untouched.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import csource  # noqa: E402
import ownership_access  # noqa: E402

RULES = ('OWNER', 'MAIN', 'IO', 'ATOMIC', 'PENDING', 'RCU', 'IMMUTABLE')
ATOMIC_RULES = ('ATOMIC', 'PENDING')
# Types that are atomic by construction (their only members are atomics).
ATOMIC_TYPES = (('struct', 'llist_head'), ('refcount_t',))
MARKER = '__shared_struct'
# The directories scanned when no PATH is given, relative to the tree.
DEFAULT_PATHS = ('include', 'lib', 'tools')
# Not part of the product, so not scanned by default: a benchmark copies
# the layout of a product struct to compare implementations of it on one
# thread pair at a time, and a fuzz harness drives the code from one
# thread.  Their structs are not shared structs of baton or baton-kvd.
EXCLUDED_DIRS = ('tools/bench', 'tools/fuzz')
# Where the annotations must be the macros of <baton/compiler.h> (which
# clang turns into thread-safety attributes): the comment form is only
# for code that cannot include that header.
MACRO_ONLY_DIRS = ('include/baton/', 'lib/')
# The comment form of a rule: "__rule(NAME)", then the field's text.
COMMENT_RULE_RE = re.compile(r'^__rule\(\s*(\w*)\s*\)\s*:?\s*(.*)$', re.S)
# The rules that keep what a field reaches on one thread.
PRIVATE_RULES = ('MAIN', 'IO')
# Structs a shared struct may embed or point to (under a rule that is not
# private) without being marked themselves, and why that is safe.  Only
# types defined outside the scanned tree belong here.
UNMARKED_OK = {
    'cds_lfht': "liburcu's RCU hash table: it orders its own readers and "
                "writers",
    'cds_lfht_node': "liburcu's hash-table link: cds_lfht_add/del publish "
                     "and unpublish it for RCU readers",
    'rcu_head': "liburcu's call_rcu link: written by call_rcu, read by its "
                "callback thread after liburcu's queue ordering",
}
# Struct tags that a macro renames: the checker follows the real struct.
TAG_ALIASES = {
    # include/baton/llist.h: "#define llist_node baton_llist_node", so
    # that public structs can embed the node (include/uapi/baton/api.h).
    'llist_node': 'baton_llist_node',
}
# Links that another thread follows back to the struct embedding them
# (container_of), so that a struct embedding one is reached by that
# thread and must be marked.
LINK_TYPES = {
    'baton_obj': 'any thread may drop the last reference, and an IO worker '
                 'reads the object a reply refers to',
    'llist_node': 'the thread that takes a lock-less list gets the nodes',
    'baton_llist_node': 'the same node under its public name (api.h)',
    'rcu_head': "call_rcu's thread runs the callback on it",
    'cds_lfht_node': 'RCU readers find it in the hash table',
}
# Globals (file-scope or static local variables) that need no rule, and
# why.  Thread-local and const ones never need one.
GLOBALS_OK = {
    'role_main': 'a clang capability token: named in attributes, never '
                 'read or written',
    'role_io': 'a clang capability token: named in attributes, never read '
               'or written',
    'rcu_free_key_once': "a pthread_once_t: pthread_once() is its only "
                         "use, and orders itself",
}
THREAD_LOCAL = ('__thread', '_Thread_local', 'thread_local')
BEGIN = '.. BEGIN FIELD TABLE'
END = '.. END FIELD TABLE'


class Problem(Exception):
    pass


class Field:
    """One field: owner struct, dotted name, rule (None in a struct that
    is not marked), where, text; and its type as far as the checks need
    it: the struct or union tag it is or points to (None for others),
    how many '*' and '[]' it has, whether it is a function pointer, and
    for a named nested struct or union the prefix of its members."""

    def __init__(self, struct, name, rule, path, line, comment):
        self.struct = struct
        self.name = name
        self.rule = rule
        self.path = path
        self.line = line
        self.comment, self.from_doc = comment
        self.tag = None
        self.ptr = 0
        self.arrays = 0
        self.fnptr = False
        self.inline = None
        self.table = True       # a row of the field table

    def typed(self, tag=None, ptr=0, arrays=0, fnptr=False, inline=None):
        self.tag = tag
        self.ptr = ptr
        self.arrays = arrays
        self.fnptr = fnptr
        self.inline = inline
        return self


class StructDef:
    """A struct or union defined at file scope: its tag, where, whether
    it is marked, and its fields (of every nesting level, by dotted
    name)."""

    def __init__(self, name, kind, path, line, marked):
        self.name = name
        self.kind = kind
        self.path = path
        self.line = line
        self.marked = marked
        self.fields = []
        self.by_name = {}


class Checker:
    def __init__(self, srctree):
        self.srctree = srctree
        self.problems = []
        self.fields = []
        self.nstructs = 0
        self.shared_names = set()
        self.structs = {}       # tag -> StructDef (the first definition)
        self.globals = []       # Fields, .struct is the file
        self.global_files = {}  # file -> StructDef holding its globals

    def error(self, path, line, msg):
        self.problems.append('%s:%d: %s' % (self.rel(path), line, msg))

    def rel(self, path):
        rp = os.path.relpath(path, self.srctree)
        return path if rp.startswith('..') else rp

    def macro_only(self, path):
        """Whether @path must use the macros, not the comment form."""
        rp = self.rel(path)
        return any(rp.startswith(d) for d in MACRO_ONLY_DIRS)

    # ------------------------------------------------------------ scanning
    def collect_names(self, path):
        """First pass: the names of every __shared_struct struct."""
        src = csource.Source(path)
        toks = csource.c_view(src.tokens)
        markers = marker_comment_lines(src)
        for k, t in enumerate(toks):
            if t.text == '}' and (
                    (k + 1 < len(toks) and toks[k + 1].text == MARKER) or
                    t.line in markers):
                o = csource.match_open(toks, k)
                if o > 0 and toks[o - 1].kind == 'ident':
                    self.shared_names.add(toks[o - 1].text)

    def scan(self, path):
        src = csource.Source(path)
        toks = csource.c_view(src.tokens)
        docs = csource.kernel_docs(src)
        i = 0
        while i < len(toks):
            t = toks[i]
            if t.text in ('struct', 'union') and t.kind == 'ident':
                j = i + 1
                # skip attributes between the keyword and the tag
                while j < len(toks) and toks[j].text.startswith('__') and \
                        toks[j].kind == 'ident':
                    j += 1
                    if j < len(toks) and toks[j].text == '(':
                        j = csource.match_close(toks, j) + 1
                name = None
                if j < len(toks) and toks[j].kind == 'ident':
                    name = toks[j].text
                    j += 1
                if j < len(toks) and toks[j].text == '{':
                    end = csource.match_close(toks, j)
                    self.top_struct(src, toks, docs, t, name, j, end)
                    i = end + 1
                    continue
            i += 1
        self.scan_globals(src, toks)

    def top_struct(self, src, toks, docs, kw, name, lbrace, rbrace):
        """A top-level struct or union body toks[lbrace..rbrace]."""
        k = rbrace + 1
        marked = False
        while k < len(toks) and toks[k].text not in (';', '{'):
            if toks[k].text == MARKER:
                marked = True
            k += 1
        end_line = toks[k].line if k < len(toks) else toks[rbrace].line
        first, last = toks[lbrace].line, toks[rbrace].line
        markers = marker_comment_lines(src)
        by_comment = any(last <= ln <= end_line for ln in markers)
        rule_comments = [c for c in src.comments
                         if first <= c.line <= last and
                         COMMENT_RULE_RE.match(comment_text(c.text))]
        has_rules = any(t.text == '__rule' for t in toks[lbrace:rbrace]) \
            or bool(rule_comments)
        tag = '%s %s' % (kw.text, name or '(anonymous)')
        if (by_comment or rule_comments) and self.macro_only(src.path):
            self.error(src.path, kw.line, '%s: annotations written as '
                       'comments; under %s use the macros of '
                       '<baton/compiler.h> (__rule(), %s)' % (
                           tag, ' and '.join(MACRO_ONLY_DIRS), MARKER))
        marked = marked or by_comment
        sd = StructDef(name, kw.text, src.path, kw.line, marked)
        if name and name not in self.structs:
            self.structs[name] = sd
        if not marked:
            if has_rules:
                self.error(src.path, kw.line, '%s has __rule() annotations '
                           'but is not marked "} %s;"' % (tag, MARKER))
            # its fields' types still matter to what reaches what;
            # everything else about them is not checked
            ctx = Context(src, None, name or '(anonymous)', quiet=True)
            mark = len(self.problems)
            self.add_fields(sd, self.members(ctx, toks, lbrace + 1, rbrace,
                                             prefix=''))
            del self.problems[mark:]
            return
        if not name:
            self.error(src.path, kw.line, 'an anonymous %s is marked %s'
                       % (kw.text, MARKER))
            return
        self.nstructs += 1
        doc = csource.doc_before(src, kw.line, docs)
        if doc is not None and doc.name != name:
            doc = None
        ctx = Context(src, doc, name, rule_comments)
        self.add_fields(sd, self.members(ctx, toks, lbrace + 1, rbrace,
                                         prefix=''))
        self.fields += [f for f in sd.fields if f.table]
        for c in rule_comments:
            if c not in ctx.used:
                self.error(src.path, c.line, '%s: a __rule() comment on a '
                           'line where no member declaration ends' % name)

    # ------------------------------------------------------------ globals
    def scan_globals(self, src, toks):
        """The variables defined at file scope, and the static ones
        defined in function bodies: each needs one rule like a field,
        unless it is thread-local, const or in GLOBALS_OK."""
        rule_comments = [c for c in src.comments
                         if COMMENT_RULE_RE.match(comment_text(c.text))]
        rel = self.rel(src.path)
        ctx = Context(src, None, rel, rule_comments)
        for d in csource.external_decls(toks):
            if d.body is None:
                self.global_decl(ctx, toks, d.start, d.end, None)
                continue
            # static locals: a statement that starts with 'static'
            fname = csource.function_name(toks, d.start, d.end)
            lb, rb = d.body
            for k in range(lb + 1, rb):
                if toks[k].text == 'static' and \
                        toks[k - 1].text in (';', '{', '}'):
                    e = k
                    while e < rb and toks[e].text != ';':
                        if toks[e].text in ('(', '[', '{'):
                            e = csource.match_close(toks, e)
                        e += 1
                    self.global_decl(ctx, toks, k, e, fname)
        used = ctx.used
        if rule_comments and self.macro_only(src.path):
            for c in used:
                self.error(src.path, c.line, 'a __rule() comment on a '
                           'variable; under %s use the macro __rule()' %
                           ' and '.join(MACRO_ONLY_DIRS))

    def global_decl(self, ctx, toks, a, b, func):
        """The declaration toks[a:b] (its ';' excluded), at file scope or,
        when @func is set, a static one in that function's body."""
        first = toks[a].text if a < b else ''
        texts = {t.text for t in toks[a:b]}
        if first in ('typedef', '_Static_assert', 'static_assert') or \
                'extern' in texts:
            return
        if csource.function_name(toks, a, b) is not None:
            return
        # a struct, union or enum body (a '{' before the initializer's
        # '=') is not part of a declarator
        decl = []
        k = a
        init = False
        while k < b:
            if toks[k].text == '=':
                init = True
            if toks[k].text == '{' and not init:
                k = csource.match_close(toks, k) + 1
                continue
            decl.append(toks[k])
            k += 1
        thread_local = bool(texts & set(THREAD_LOCAL))
        end_line = toks[b].line if b < len(toks) else toks[b - 1].line
        # a rule comment covers every declarator of the declaration
        commented = []
        for c in ctx.rule_comments:
            if c.line in (toks[a].line, end_line):
                ctx.used.add(c)
                commented.append(COMMENT_RULE_RE.match(
                    comment_text(c.text)).group(1))
        specifiers = None
        for part in csource.split_commas(decl):
            # the initializer is not part of the declarator
            for k, t in enumerate(part):
                if t.text == '=':
                    part = part[:k]
                    break
            if not part:
                continue
            clean = csource.strip_attrs(part)
            name, name_idx = csource.declarator_name(clean)
            if name is None:
                continue
            if specifiers is None:
                specifiers = leading_specifiers(clean[:name_idx])
                before = clean[:name_idx]
                raw_before = part[:part.index(clean[name_idx])]
                raw_specifiers = raw_before
            else:
                before = specifiers + clean[:name_idx]
                raw_before = raw_specifiers + \
                    part[:part.index(clean[name_idx])]
            if thread_local or is_const_object(before):
                continue
            line = part[0].line
            full = '%s:%s' % (func, name) if func else name
            found = []
            for k, t in enumerate(part):
                if t.text == '__rule' and k + 1 < len(part) and \
                        part[k + 1].text == '(':
                    close = csource.match_close(part, k + 1)
                    found.append(text_of(part[k + 2:close]))
            found += commented
            where = ctx.struct
            if not found:
                if name not in GLOBALS_OK:
                    self.error(ctx.path, line, '%s: a global without '
                               '__rule() (one of %s); only thread-local and '
                               'const ones need none' % (
                                   full, ', '.join(RULES)))
                continue
            if name in GLOBALS_OK:
                self.error(ctx.path, line, '%s: has a rule and is in '
                           'GLOBALS_OK; drop one' % full)
            bad = [r for r in found if r not in RULES]
            if bad:
                self.error(ctx.path, line, '%s: unknown rule __rule(%s); the '
                           'rules are %s' % (full, bad[0], ', '.join(RULES)))
                continue
            if len(found) > 1:
                self.error(ctx.path, line, '%s: %d __rule() annotations (%s);'
                           ' exactly one is allowed' % (
                               full, len(found), ', '.join(found)))
                continue
            rule = found[0]
            if rule in ATOMIC_RULES and not is_atomic(before):
                self.error(ctx.path, line, '%s: __rule(%s) on a global that '
                           'is not atomic ("%s"); use _Atomic, an atomic_* '
                           'type, struct llist_head or refcount_t' % (
                               full, rule,
                               text_of(before + [clean[name_idx]])))
            g = Field(where, full, rule, ctx.path, line,
                      ctx.comment(full, line, end_line))
            g.typed(**member_type(raw_before, before, clean, name_idx))
            self.globals.append(g)
            holder = self.global_files.get(where)
            if holder is None:
                holder = StructDef(where, 'file', ctx.path, 1, True)
                self.global_files[where] = holder
            self.add_fields(holder, [g])

    @staticmethod
    def add_fields(sd, fields):
        for f in fields:
            sd.fields.append(f)
            sd.by_name.setdefault(f.name, f)

    # ------------------------------------------------------------ members
    def members(self, ctx, toks, a, b, prefix, covered=None):
        """Parse the member declarations in toks[a:b]; yield Fields.
        @covered: the rule of an enclosing aggregate member that carries
        one for all its members (which then must not carry their own)."""
        i = a
        while i < b:
            j = i
            aggregate = None
            while j < b and toks[j].text != ';':
                if toks[j].text in ('(', '['):
                    j = csource.match_close(toks, j) + 1
                    continue
                if toks[j].text == '{':
                    close = csource.match_close(toks, j)
                    if aggregate is None:
                        aggregate = (j, close)
                    j = close + 1
                    continue
                j += 1
            decl = (i, j)
            i = j + 1
            if decl[0] == decl[1]:
                continue
            first = toks[decl[0]]
            if first.text in ('_Static_assert', 'static_assert'):
                continue
            if aggregate is not None and self.is_aggregate(toks, decl[0],
                                                          aggregate[0]):
                yield from self.aggregate_member(ctx, toks, decl, aggregate,
                                                 prefix, covered)
            else:
                yield from self.plain_member(ctx, toks, decl[0], decl[1],
                                             prefix, covered)

    @staticmethod
    def is_aggregate(toks, start, lbrace):
        """Whether the braces at lbrace open a struct/union body (not an
        enum's list)."""
        for t in toks[start:lbrace]:
            if t.text == 'enum':
                return False
            if t.text in ('struct', 'union'):
                return True
        return False

    def aggregate_member(self, ctx, toks, decl, agg, prefix, covered):
        lbrace, rbrace = agg
        kw = next(t for t in toks[decl[0]:lbrace]
                  if t.text in ('struct', 'union'))
        after = toks[rbrace + 1:decl[1]]
        end_line = toks[decl[1]].line if decl[1] < len(toks) else kw.line
        rules = self.rules_in(ctx, after, prefix + (text_of(
            strip_rules(after)) or '(%s)' % kw.text), end_line)
        if None in rules:
            return
        declarators = csource.split_commas(strip_rules(after))
        names = [csource.declarator_name(d)[0] for d in declarators if d]
        names = [n for n in names if n]
        if len(rules) > 1:
            self.error(ctx.path, kw.line, '%s: %s member has %d __rule() '
                       'annotations: %s' % (ctx.struct, kw.text, len(rules),
                                            ', '.join(rules)))
        rule = rules[0] if rules else None
        if rule and covered:
            self.error(ctx.path, kw.line, '%s: a __rule(%s) inside a member '
                       'already ruled %s' % (ctx.struct, rule, covered))
        if rule in ATOMIC_RULES:
            self.error(ctx.path, kw.line, '%s: a %s is not an atomic type; '
                       'a %s rule needs one' % (ctx.struct, kw.text, rule))
        if len(names) > 1:
            self.error(ctx.path, kw.line, '%s: declare one %s member per '
                       'declaration' % (ctx.struct, kw.text))
        name = names[0] if names else None
        ptr = sum(1 for t in strip_rules(after) if t.text == '*')
        if rule and name:
            # the whole member is ruled: one row for it, none inside
            yield Field(ctx.struct, prefix + name, rule,
                        ctx.path, kw.line,
                        ctx.comment(prefix + name, toks[decl[0]].line,
                                    toks[decl[1]].line if decl[1] < len(toks)
                                    else kw.line)).typed(
                ptr=ptr, inline=prefix + name + '.')
            for f in self.members(ctx, toks, lbrace + 1, rbrace,
                                  prefix + name + '.',
                                  covered=rule):
                f.table = False
                yield f
            return
        if name:
            # no row of its own (its fields have theirs); known for the
            # way to them
            f = Field(ctx.struct, prefix + name, covered, ctx.path, kw.line,
                      ('', False)).typed(ptr=ptr, inline=prefix + name + '.')
            f.table = False
            yield f
        inner_prefix = prefix + name + '.' if name else prefix
        yield from self.members(ctx, toks, lbrace + 1, rbrace, inner_prefix,
                                covered=rule or covered)

    def plain_member(self, ctx, toks, a, b, prefix, covered):
        """One declaration `type d1 __rule(X), d2 __rule(Y);`."""
        parts = csource.split_commas(toks[a:b])
        specifiers = None
        at = a
        for part in parts:
            at += len(part) + 1     # the ',' or ';' that ends this part
            if not part:
                continue
            line = part[0].line
            end_line = toks[at - 1].line if at - 1 < len(toks) else line
            clean = csource.strip_attrs(part)
            name, name_idx = csource.declarator_name(clean)
            if name is None:
                self.error(ctx.path, line, '%s: cannot find the field name '
                           'in "%s"' % (ctx.struct, text_of(part)))
                continue
            # the type specifiers are written once, before the first
            # declarator: `unsigned int a : 1, b : 3;`
            raw_before = part[:part.index(clean[name_idx])]
            if specifiers is None:
                specifiers = leading_specifiers(clean[:name_idx])
                raw_specifiers = raw_before
                before = clean[:name_idx]
            else:
                before = specifiers + clean[:name_idx]
                raw_before = raw_specifiers + raw_before
            typ = member_type(raw_before, before, clean, name_idx)
            rules = self.rules_in(ctx, part, prefix + name, end_line)
            if None in rules:
                continue
            full = prefix + name
            if covered:
                if rules:
                    self.error(ctx.path, line, '%s.%s: has __rule(%s) inside '
                               'a member already ruled %s' % (
                                   ctx.struct, full, rules[0], covered))
                yield Field(ctx.struct, full, covered, ctx.path, line,
                            ctx.comment(full, line, end_line)).typed(**typ)
                continue
            if not rules and ctx.quiet:
                yield Field(ctx.struct, full, None, ctx.path, line,
                            ('', False)).typed(**typ)
                continue
            if not rules:
                self.error(ctx.path, line, '%s.%s: no __rule() (one of %s)'
                           % (ctx.struct, full, ', '.join(RULES)))
                continue
            if len(rules) > 1:
                self.error(ctx.path, line, '%s.%s: %d __rule() annotations '
                           '(%s); exactly one is allowed' % (
                               ctx.struct, full, len(rules),
                               ', '.join(rules)))
                continue
            rule = rules[0]
            if rule in ATOMIC_RULES and not is_atomic(before):
                self.error(ctx.path, line, '%s.%s: __rule(%s) on a field that '
                           'is not atomic ("%s"); use _Atomic, an atomic_* '
                           'type, struct llist_head or refcount_t%s' % (
                               ctx.struct, full, rule,
                               text_of(before + [clean[name_idx]]),
                               self.embedded_hint(before)))
            yield Field(ctx.struct, full, rule, ctx.path, line,
                        ctx.comment(full, line, end_line)).typed(**typ)

    def embedded_hint(self, before):
        """For a member whose type is itself a __shared_struct: say that
        its fields carry their own rules."""
        texts = [t.text for t in before]
        for k in range(len(texts) - 1):
            if texts[k] == 'struct' and texts[k + 1] in self.shared_names:
                return ('; struct %s is a %s whose fields carry their own '
                        'rules: give the member the rule of the member as a '
                        'whole (e.g. IMMUTABLE: never assigned after '
                        'publication)' % (texts[k + 1], MARKER))
        return ''

    def rules_in(self, ctx, toks, what, end_line):
        """The rule names of every __rule(X) in toks (the declaration of
        member @what) and of a __rule(X) comment on @end_line, the line
        where that declaration ends; an unknown one is reported and
        returned as None."""
        found = []
        for k, t in enumerate(toks):
            if t.text != '__rule':
                continue
            arg = ''
            if k + 1 < len(toks) and toks[k + 1].text == '(':
                close = csource.match_close(toks, k + 1)
                arg = text_of(toks[k + 2:close])
            found.append((arg, t.line))
        for c in ctx.rule_comments:
            if c.line == end_line:
                ctx.used.add(c)
                found.append((COMMENT_RULE_RE.match(
                    comment_text(c.text)).group(1), c.line))
        out = []
        for arg, line in found:
            if arg in RULES:
                out.append(arg)
            else:
                self.error(ctx.path, line, '%s.%s: unknown rule __rule(%s);'
                           ' the rules are %s' % (ctx.struct, what, arg,
                                                  ', '.join(RULES)))
                out.append(None)
        return out

    # ------------------------------------------------------------ reach
    def reachability(self):
        """Every struct that a marked struct embeds or points to, under a
        rule that is not private to one thread, must be marked too (or be
        in UNMARKED_OK); so must every struct that embeds a link of
        LINK_TYPES.  The walk goes on through an unmarked struct it
        reports, so each report names the way it was reached."""
        queue = [(sd, []) for sd in self.structs.values() if sd.marked]
        queue += [(sd, []) for sd in self.global_files.values()]
        seen = set()
        while queue:
            sd, path = queue.pop(0)
            for f in sd.fields:
                if f.fnptr or not f.tag or f.inline or \
                        (sd.marked and f.rule in PRIVATE_RULES):
                    continue
                tag = TAG_ALIASES.get(f.tag, f.tag)
                target = self.structs.get(tag)
                if (target and target.marked) or tag in UNMARKED_OK or \
                        f.tag in seen:
                    continue
                seen.add(f.tag)
                way = path + ['%s%s%s%s' % (
                    sd.name, ':' if sd.kind == 'file' else '.', f.name,
                    ' (%s)' % f.rule if f.rule else '')]
                if target is None:
                    self.error(f.path, f.line, 'struct %s is reached through '
                               '%s but is defined outside the scanned files: '
                               'mark it where it is defined, or list it in '
                               'UNMARKED_OK with why it needs no rules' % (
                                   f.tag, ' -> '.join(way)))
                    continue
                self.error(target.path, target.line, '%s %s is reached from '
                           'another thread through %s but is not marked %s'
                           % (target.kind, target.name, ' -> '.join(way),
                              MARKER))
                queue.append((target, way))
        for sd in self.structs.values():
            if sd.marked or not sd.name:
                continue
            for f in sd.fields:
                if f.tag in LINK_TYPES and not f.ptr and not f.fnptr and \
                        sd.name not in seen:
                    self.error(sd.path, sd.line, '%s %s embeds struct %s '
                               '(%s): %s, so another thread reaches it; mark '
                               'it %s' % (sd.kind, sd.name, f.tag, f.name,
                                          LINK_TYPES[f.tag], MARKER))
                    break

    # ------------------------------------------------------------ output
    def kerneldoc_mismatches(self):
        """A kernel-doc '@field: RULE: ...' that names another rule than
        the field's __rule() is a documentation bug.  (Plain comments are
        free text: "RCU: the nodes" on an IMMUTABLE pointer is fine.)"""
        for f in self.fields:
            if not f.from_doc:
                continue
            m = re.match(r'^(%s)\b\s*:' % '|'.join(RULES), f.comment or '')
            if m and m.group(1) != f.rule:
                self.error(f.path, f.line, '%s.%s: __rule(%s) but its '
                           'comment says %s' % (f.struct, f.name, f.rule,
                                                m.group(1)))


class Context:
    """Where members are being parsed: file, struct, its kernel-doc and
    the comments of the file, to find each field's description."""

    def __init__(self, src, doc, struct, rule_comments=(), quiet=False):
        self.quiet = quiet
        self.src = src
        self.path = src.path
        self.doc = doc
        self.struct = struct
        self.token_lines = {t.line for t in src.tokens}
        self.rule_comments = rule_comments
        self.used = set()

    def comment(self, name, line, end_line):
        """(description, from kernel-doc?) of a field: its @name in the
        struct's kernel-doc, else a comment on the line where its
        declaration ends, else a comment on its own right above it."""
        if self.doc is not None and name in self.doc.params:
            return ' '.join(self.doc.params[name].split()), True
        for c in self.src.comments:
            if c.line == end_line and not c.text.startswith('/**'):
                text = comment_text(c.text)
                m = COMMENT_RULE_RE.match(text)
                return (m.group(2) if m else text), False
        for c in self.src.comments:
            if c.end_line == line - 1 and not c.text.startswith('/**') \
                    and c.line not in self.token_lines:
                return comment_text(c.text), False
        return '', False


# ---------------------------------------------------------------- helpers
def text_of(toks):
    return ' '.join(t.text for t in toks)


def comment_text(text):
    if text.startswith('//'):
        body = text[2:]
    else:
        body = text[2:-2]
    lines = [ln.strip().lstrip('*').strip() for ln in body.split('\n')]
    return ' '.join(' '.join(lines).split())


def marker_comment_lines(src):
    """The lines of the comments that say __shared_struct (the comment
    form of the marker)."""
    return {c.line for c in src.comments
            if re.match(r'^%s\b' % MARKER, comment_text(c.text))}


def strip_rules(toks):
    out = []
    k = 0
    while k < len(toks):
        if toks[k].text == '__rule' and k + 1 < len(toks) and \
                toks[k + 1].text == '(':
            k = csource.match_close(toks, k + 1) + 1
            continue
        out.append(toks[k])
        k += 1
    return out


def member_type(raw_before, before, clean, name_idx):
    """The type facts Field.typed() takes, of the declarator @clean whose
    name is clean[name_idx]: @before are the cleaned tokens before the
    name, @raw_before the same with attributes and _Atomic(T) kept (so a
    struct inside _Atomic(struct x *) is seen)."""
    fnptr = csource.is_function_pointer(clean)
    tag = None
    texts = [t.text for t in strip_rules(raw_before)]
    for k in range(len(texts) - 1):
        if texts[k] in ('struct', 'union') and texts[k + 1] != '{':
            tag = texts[k + 1]
            break
    ptr = sum(1 for t in raw_before if t.text == '*')
    arrays = sum(1 for t in clean[name_idx + 1:] if t.text == '[')
    return dict(tag=None if fnptr else tag, ptr=ptr, arrays=arrays,
                fnptr=fnptr)


def leading_specifiers(toks):
    """The type specifiers of a declaration: its first declarator's tokens
    before any '*' or '('."""
    out = []
    for t in toks:
        if t.text in ('*', '('):
            break
        out.append(t)
    return out


def is_const_object(before):
    """Whether the variable declared by the cleaned tokens before its name
    is itself const: a const after the last '*', or, without a '*', in
    its specifiers (`const char *p` is a variable, `char *const p` and
    `const char s[]` are not)."""
    stars = [k for k, t in enumerate(before) if t.text == '*']
    after = before[stars[-1] + 1:] if stars else before
    return any(t.text == 'const' for t in after)


def is_atomic(before):
    """Whether the field declared by the tokens before its name is itself
    atomic: after the last '*' (a pointer) only an _Atomic qualifier makes
    it so; without one, an _Atomic type or an atomic type name."""
    stars = [k for k, t in enumerate(before) if t.text == '*']
    if stars:
        return any(t.text == '_Atomic' for t in before[stars[-1] + 1:])
    texts = [t.text for t in before]
    if '_Atomic' in texts or '_Atomic()' in texts:
        return True
    if any(re.match(r'^atomic_\w+$', x) for x in texts):
        return True
    for typ in ATOMIC_TYPES:
        n = len(typ)
        for k in range(len(texts) - n + 1):
            if tuple(texts[k:k + n]) == typ:
                return True
    return False


# ---------------------------------------------------------------- the table
def rst_escape(s):
    """Quote what reST would read as markup: *, `, |, backslashes, and a
    '_' that ends a word (a reference, as in "name_ ")."""
    s = re.sub(r'([\\*`|])', r'\\\1', s)
    return re.sub(r'(\w)_(?=\W|$)', r'\1\\_', s)


def table(fields, globals_=()):
    """The reST list-table of every field, by struct name then declaration
    order; then, if there are any, the table of the globals by file."""
    rows = sorted(fields, key=lambda f: (f.struct,))
    out = [BEGIN,
           '.. This table is generated by tools/checkers/ownership.py;',
           '   run `make ownership-table` to update it.',
           '',
           '.. list-table:: Fields of the shared structs',
           '   :header-rows: 1',
           '   :widths: 22 22 10 46',
           '',
           '   * - struct',
           '     - field',
           '     - rule',
           '     - comment']
    for f in rows:
        out += ['   * - ``%s``' % f.struct,
                '     - ``%s``' % f.name,
                '     - %s' % f.rule,
                ('     - %s' % rst_escape(strip_rule_prefix(f))).rstrip()]
    if globals_:
        out += ['',
                '.. list-table:: Globals',
                '   :header-rows: 1',
                '   :widths: 22 22 10 46',
                '',
                '   * - file',
                '     - variable',
                '     - rule',
                '     - comment']
        for f in sorted(globals_, key=lambda f: (f.struct,)):
            out += ['   * - ``%s``' % f.struct,
                    '     - ``%s``' % f.name,
                    '     - %s' % f.rule,
                    ('     - %s' % rst_escape(strip_rule_prefix(f))).rstrip()]
    out += ['', END]
    return '\n'.join(out) + '\n'


def strip_rule_prefix(f):
    """'MAIN: foo' -> 'foo' for a MAIN field: the rule has its column."""
    c = f.comment or ''
    m = re.match(r'^%s\s*:\s*' % re.escape(f.rule), c)
    return c[m.end():] if m else c


def doc_region(text, path):
    b = text.find(BEGIN)
    e = text.find(END)
    if b < 0 or e < 0 or e < b:
        raise Problem('%s:1: no "%s" ... "%s" region' % (path, BEGIN, END))
    return b, e + len(END) + (1 if text[e + len(END):].startswith('\n')
                              else 0)


def doc_rows(region, start_line):
    """(struct, field, rule, line) of each row of a table region."""
    rows = []
    lines = region.split('\n')
    k = 0
    while k < len(lines):
        m = re.match(r'^\s*\* - ``([^`]+)``\s*$', lines[k])
        if m and k + 2 < len(lines):
            f = re.match(r'^\s*- ``([^`]+)``\s*$', lines[k + 1])
            r = re.match(r'^\s*- (\w+)\s*$', lines[k + 2])
            if f and r:
                rows.append((m.group(1), f.group(1), r.group(1),
                             start_line + k))
        k += 1
    return rows


def check_doc(chk, path, fields, globals_=()):
    with open(path, encoding='utf-8') as f:
        text = f.read()
    b, e = doc_region(text, path)
    region = text[b:e]
    start = text[:b].count('\n') + 1
    have = {(s, n): (r, line) for s, n, r, line in doc_rows(region, start)}
    want = {(f.struct, f.name): f for f in list(fields) + list(globals_)}
    for key, f in want.items():
        if key not in have:
            chk.error(f.path, f.line, '%s.%s: not in %s\'s field table' % (
                key[0], key[1], chk.rel(path)))
        elif have[key][0] != f.rule:
            chk.error(path, have[key][1], '%s.%s: the table says %s, the '
                      'code says __rule(%s)' % (key[0], key[1], have[key][0],
                                                f.rule))
    for key, (rule, line) in have.items():
        if key not in want:
            chk.error(path, line, '%s.%s: in the field table but no such '
                      'field of a %s struct, nor such a global' % (
                          key[0], key[1], MARKER))
    if not chk.problems and region != table(fields, globals_):
        chk.error(path, start, 'the field table is out of date (a comment '
                  'changed); run `make ownership-table`')
    elif chk.problems:
        chk.problems.append('%s: run `make ownership-table` to regenerate '
                            'the table' % chk.rel(path))


def update_doc(path, fields, globals_=()):
    with open(path, encoding='utf-8') as f:
        text = f.read()
    b, e = doc_region(text, path)
    new = text[:b] + table(fields, globals_) + text[e:]
    if new != text:
        with open(path, 'w', encoding='utf-8') as f:
            f.write(new)
        print('  GEN     %s' % path)


def source_files(paths, excluded=()):
    """The *.h and *.c files of @paths; directories are walked, except
    those in @excluded (absolute paths)."""
    out = []
    for p in paths:
        if os.path.isdir(p):
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if os.path.join(root, d)
                                 not in excluded)
                for name in sorted(files):
                    if name.endswith(('.h', '.c')):
                        out.append(os.path.join(root, name))
        elif os.path.exists(p):
            out.append(p)
        else:
            raise Problem('%s: no such file or directory' % p)
    return out


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(
        description='Check the field ownership rules of __shared_struct '
                    'structs.')
    ap.add_argument('paths', nargs='*', metavar='PATH',
                    help='files or directories (default: %s, less %s)'
                    % (' '.join(DEFAULT_PATHS), ' '.join(EXCLUDED_DIRS)))
    ap.add_argument('--srctree', default=os.path.dirname(os.path.dirname(
        here)), help='the source tree (default: %(default)s)')
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument('--table', action='store_true',
                      help='print the reST field table')
    mode.add_argument('--check-doc', metavar='DOC',
                      help='also fail when DOC\'s table differs')
    mode.add_argument('--update-doc', metavar='DOC',
                      help='rewrite the table in DOC')
    mode.add_argument('--fields', metavar='STRUCT:RULE',
                      help="print the names of STRUCT's fields that have "
                      'RULE, one a line (owner_access.py reads them)')
    ap.add_argument('-q', '--quiet', action='store_true',
                    help='print nothing on success')
    args = ap.parse_args(argv)

    srctree = os.path.abspath(args.srctree)
    if args.paths:
        paths = [os.path.abspath(p) for p in args.paths]
    else:
        paths = [os.path.join(srctree, p) for p in DEFAULT_PATHS]
    excluded = {os.path.join(srctree, d) for d in EXCLUDED_DIRS}
    chk = Checker(srctree)
    try:
        files = source_files(paths, excluded)
        for path in files:
            chk.collect_names(path)
        for path in files:
            chk.scan(path)
        chk.reachability()
        acc = ownership_access.AccessChecker(chk)
        for path in files:
            acc.read(path)
        acc.run()
        chk.kerneldoc_mismatches()
        if args.table:
            if chk.problems:
                raise Problem('\n'.join(chk.problems))
            sys.stdout.write(table(chk.fields, chk.globals))
            return 0
        if args.fields:
            tag, _, rule = args.fields.partition(':')
            if tag not in chk.structs:
                raise Problem('--fields: no struct %s in the scanned files'
                              % tag)
            for f in chk.fields:
                if f.struct == tag and f.rule == rule:
                    print(f.name)
            return 0
        if args.update_doc:
            if chk.problems:
                raise Problem('\n'.join(chk.problems))
            update_doc(args.update_doc, chk.fields, chk.globals)
            return 0
        if args.check_doc:
            check_doc(chk, args.check_doc, chk.fields, chk.globals)
    except (Problem, ValueError, OSError) as e:
        print(e, file=sys.stderr)
        return 1
    if chk.problems:
        for p in chk.problems:
            print(p, file=sys.stderr)
        return 1
    if not args.quiet:
        print('ownership: %d structs, %d fields, %d globals, each has one '
              'rule' % (chk.nstructs, len(chk.fields), len(chk.globals)))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))

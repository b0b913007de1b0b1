# SPDX-License-Identifier: LGPL-2.1-or-later
"""ownership_access.py - the access-site checks of ownership.py: find
where the C sources touch a ruled field or global, and fail where the
access breaks its rule in a way the tokens show:

- an IMMUTABLE field or global is written (assigned, ++/--) in a function
  that is not marked __init_fn (it builds the object before it is
  published) or __fini_fn (it takes the object apart after every other
  thread let go of it);
- an ATOMIC or PENDING field or global is used other than as an argument
  of an atomic operation (atomic_*(), the __atomic builtins, liburcu's
  uatomic_*(), the llist and refcount_t operations, ATOMIC_HELPERS).

An access is a chain `root->a.b[i]->c` whose root is a parameter, a
local or a global of a known struct type; the type of each step comes
from the struct definitions ownership.py read.  What the tokens do not
show is not checked: an access through a cast, a macro argument, a
function's result or a `void *`, and a write through a pointer that
memcpy() and friends are handed.
"""

import re

import csource

# Calls whose arguments may be an ATOMIC or PENDING field (its address,
# or the field itself for the macros that take its name).
ATOMIC_CALL_RE = re.compile(r'^(atomic_\w+|__atomic_\w+|uatomic_\w+|'
                            r'llist_\w+|init_llist_head|refcount_\w+)$')
# Project helpers that take an atomic field and do nothing but atomic
# operations on it, with why.
ATOMIC_HELPERS = {
    'log_once': 'logging.h: its flag argument is only used by an '
                'atomic_exchange_explicit()',
    'object_ref': 'object_internal.h: hands baton_obj::refs on as the '
                  'refcount_t it is laid out as; only refcount_*() use it',
    'defer_list_add': "defer.c: llist_add() for a baton_obj's own link: an "
                      "atomic load and a release CAS on the head",
    'ld': 'stats.c: a relaxed atomic_load_explicit() of a counter',
}
# Where a field's mere mention is no access.
UNEVALUATED = ('sizeof', '_Alignof', 'alignof', 'offsetof', 'typeof',
               '__typeof__', '__typeof')
ASSIGN_OPS = ('=', '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=', '<<=',
              '>>=')
# The markers of the functions that may write IMMUTABLE fields, as macros
# (<baton/compiler.h>) or, where that header is not included, comments.
INIT_MARKERS = ('__init_fn', '__fini_fn')
INIT_COMMENT_RE = re.compile(r'^/\*\s*__(init|fini)_fn\b')


class TypeRef:
    """What the checker knows of a value's type: a struct or union tag,
    pointer and array levels; or, for a named nested struct member, the
    owner struct and the prefix of its members' dotted names."""
    __slots__ = ('tag', 'ptr', 'arrays', 'inline_of', 'inline')

    def __init__(self, tag, ptr=0, arrays=0, inline_of=None, inline=None):
        self.tag = tag
        self.ptr = ptr
        self.arrays = arrays
        self.inline_of = inline_of
        self.inline = inline

    @staticmethod
    def of_field(owner, f):
        if f.inline:
            return TypeRef(owner, f.ptr, f.arrays, owner, f.inline)
        if f.tag and not f.fnptr:
            return TypeRef(f.tag, f.ptr, f.arrays)
        return None

    def deref(self):
        """The type after one [] or unary *: an array level first."""
        if self.arrays:
            return TypeRef(self.tag, self.ptr, self.arrays - 1,
                           self.inline_of, self.inline), True
        if self.ptr:
            return TypeRef(self.tag, self.ptr - 1, 0, self.inline_of,
                           self.inline), False
        return None, False


class Function:
    """A function definition: name, file, where its body is."""

    def __init__(self, name, src, toks, head, body):
        self.name = name
        self.src = src
        self.toks = toks
        self.head = head        # (start, lbrace)
        self.body = body        # (lbrace, rbrace)


def is_init_fn(src, toks, start, end):
    """Whether the declaration toks[start:end] (a prototype up to its ';'
    or a definition up to its '{') carries __init_fn or __fini_fn: the
    macro, or the comment form on one of its lines."""
    if any(t.text in INIT_MARKERS for t in toks[start:end]):
        return True
    first = toks[start].line
    last = toks[end].line if end < len(toks) else toks[end - 1].line
    return any(first <= c.line <= last and
               INIT_COMMENT_RE.match(c.text) for c in src.comments)


def local_types(toks, a, b):
    """{name: TypeRef} of the variables and parameters declared with a
    struct or union type in toks[a:b]."""
    out = {}
    k = a
    while k < b - 1:
        t = toks[k]
        if t.text not in ('struct', 'union') or toks[k + 1].kind != 'ident':
            k += 1
            continue
        tag = toks[k + 1].text
        j = k + 2
        if j < b and toks[j].text == '{':
            k = j
            continue
        while j < b:
            ptr = 0
            while j < b and (toks[j].text in ('*', 'const', 'volatile',
                                              'restrict', '__restrict') or
                             (toks[j].kind == 'ident' and
                              toks[j].text.startswith('__') and
                              toks[j + 1].text != '(')):
                ptr += toks[j].text == '*'
                j += 1
            if j >= b or toks[j].kind != 'ident' or \
                    toks[j].text in csource.KEYWORDS:
                break
            name = toks[j].text
            j += 1
            if j < b and toks[j].text == '(':
                break           # a function, not a variable
            arrays = 0
            while j < b and toks[j].text == '[':
                arrays += 1
                j = csource.match_close(toks, j) + 1
            out[name] = TypeRef(tag, ptr, arrays)
            # skip an initializer; another declarator follows a ','
            # unless this was a parameter (a type follows it then)
            while j < b and toks[j].text not in (',', ';', ')'):
                if toks[j].text in ('(', '[', '{'):
                    j = csource.match_close(toks, j)
                j += 1
            if j >= b or toks[j].text != ',':
                break
            j += 1
        k = j if j > k else k + 1
    return out


class AccessChecker:
    """Runs the access checks over the files ownership.py scanned."""

    def __init__(self, chk):
        self.chk = chk
        self.functions = []
        self.init_fns = set()
        self.globals = {g.name: g for g in chk.globals}

    def read(self, path):
        src = csource.Source(path)
        toks = csource.c_view(src.tokens)
        for d in csource.external_decls(toks):
            name = csource.function_name(toks, d.start, d.end)
            if name is None:
                continue
            if is_init_fn(src, toks, d.start, d.end):
                self.init_fns.add(name)
            if d.body is not None:
                self.functions.append(Function(name, src, toks,
                                               (d.start, d.end), d.body))

    def run(self):
        for fn in self.functions:
            self.function(fn)

    # ------------------------------------------------------------ chains
    def function(self, fn):
        toks = fn.toks
        start, (lb, rb) = fn.head[0], fn.body
        types = local_types(toks, start, rb)
        k = lb + 1
        while k < rb:
            t = toks[k]
            if t.kind != 'ident' or \
                    toks[k - 1].text in ('.', '->', 'struct', 'union',
                                         'enum') or \
                    (t.text not in types and not self.root_global(fn, t)):
                k += 1
                continue
            end = self.chain(fn, types, k, rb)
            k = max(end, k + 1)

    def root_global(self, fn, t):
        return self.globals.get('%s:%s' % (fn.name, t.text)) or \
            self.globals.get(t.text)

    def chain(self, fn, types, k, limit):
        """Follow the access chain that starts at toks[k]; check it; return
        the index after it."""
        toks = fn.toks
        name = toks[k].text
        g = None
        if name in types:
            typ = types[name]
        else:
            g = self.root_global(fn, toks[k])
            typ = TypeRef.of_field(None, g) if g.tag or g.inline else \
                TypeRef(None, g.ptr, g.arrays)
        # steps: (field or global, embedded in the step before?)
        steps = [(g, False)] if g is not None else []
        j = k + 1
        embedded = True
        while j < limit and typ is not None:
            op = toks[j].text
            if op == '[':
                typ, embedded_now = typ.deref()
                embedded = embedded and embedded_now
                j = csource.match_close(toks, j) + 1
                continue
            if op not in ('.', '->') or j + 1 >= limit or \
                    toks[j + 1].kind != 'ident':
                break
            if op == '->':
                typ, _ = typ.deref()
                embedded = False
                if typ is None:
                    break
            f, owner = self.member(typ, toks[j + 1].text)
            if f is None:
                break
            steps.append((f, embedded and bool(steps)))
            embedded = True
            typ = TypeRef.of_field(owner, f)
            if typ is None:
                typ = TypeRef(None, f.ptr, f.arrays)
            j += 2
        # a chain that goes on past what is known is not checked: its
        # last known step is not what it touches
        if steps and not (j < limit and toks[j].text in ('.', '->', '[')):
            self.check(fn, k, j, steps, typ, embedded)
        return j

    def member(self, typ, name):
        """(Field, owner tag) of member @name of a value of type @typ."""
        if typ.ptr or typ.arrays:
            return None, None
        if typ.inline_of:
            sd = self.chk.structs.get(typ.inline_of)
            full = typ.inline + name
        else:
            sd = self.chk.structs.get(typ.tag) if typ.tag else None
            full = name
        if sd is None:
            return None, None
        return sd.by_name.get(full), sd.name

    # ------------------------------------------------------------ checks
    def check(self, fn, k, j, steps, typ, embedded):
        """The chain toks[k:j] touches steps[-1]; @embedded: the [] after
        that step (if any) index an array, not a pointer, so a write
        there changes the field."""
        toks = fn.toks
        last = steps[-1][0]
        what = self.describe(steps)
        if self.unevaluated(toks, k):
            return
        written = embedded and toks[k - 1].text not in ('*', '&') and (
            (j < len(toks) and toks[j].text in ASSIGN_OPS + ('++', '--'))
            or toks[k - 1].text in ('++', '--'))
        if written and self.effective_rule(steps) == 'IMMUTABLE' and \
                fn.name not in self.init_fns:
            self.chk.error(fn.src.path, toks[k].line, '%s: writes %s, '
                           'IMMUTABLE, in a function not marked __init_fn '
                           'or __fini_fn' % (fn.name, what))
        if last.rule in ('ATOMIC', 'PENDING') and \
                not (typ is not None and typ.arrays):
            if not self.atomic_context(fn, toks, k):
                self.chk.error(fn.src.path, toks[k].line, '%s: %s is %s: '
                               'touch it only through atomic operations '
                               '(atomic_*(), uatomic_*(), llist_*(), '
                               'refcount_*())' % (fn.name, what, last.rule))

    @staticmethod
    def describe(steps):
        f = steps[-1][0]
        if f.struct and '/' not in f.struct and not f.struct.endswith(
                ('.c', '.h')):
            return '%s.%s' % (f.struct, f.name)
        return f.name

    @staticmethod
    def effective_rule(steps):
        """The rule of what a write to the chain changes: the last field's,
        or, for a field of an unmarked struct, that of the nearest
        enclosing field it is embedded in."""
        for f, embedded in reversed(steps):
            if f.rule:
                return f.rule
            if not embedded:
                return None
        return None

    @staticmethod
    def unevaluated(toks, k):
        """Whether toks[k] sits inside sizeof(...), offsetof(...) etc."""
        depth = 0
        i = k - 1
        while i >= 0:
            t = toks[i].text
            if t in (')', ']'):
                depth += 1
            elif t in ('(', '['):
                if depth == 0:
                    if i > 0 and toks[i - 1].text in UNEVALUATED:
                        return True
                else:
                    depth -= 1
            elif t in (';', '{', '}') and depth == 0:
                return False
            i -= 1
        return False

    @staticmethod
    def atomic_context(fn, toks, k):
        """Whether the chain at toks[k] is (the address of) an argument of
        an atomic operation, possibly under a cast, or sits in an
        ATOMIC_HELPERS function."""
        if fn.name in ATOMIC_HELPERS:
            return True
        i = k - 1
        if toks[i].text == '&':
            i -= 1
        # casts: ( type ) before the argument
        while i >= 0 and toks[i].text == ')':
            o = csource.match_open(toks, i)
            inner = [t.text for t in toks[o + 1:i]]
            if not inner or not (set(inner) & {'struct', 'union', '*',
                                              '_Atomic', 'const', 'void',
                                              'unsigned', 'int', 'long',
                                              'char'}):
                break
            i = o - 1
        if i < 0 or toks[i].text not in ('(', ','):
            return False
        # the call whose argument list this is
        depth = 0
        while i >= 0:
            t = toks[i].text
            if t in (')', ']'):
                depth += 1
            elif t in ('(', '['):
                if depth == 0:
                    if t != '(' or i == 0:
                        return False
                    callee = toks[i - 1].text
                    return bool(ATOMIC_CALL_RE.match(callee)) or \
                        callee in ATOMIC_HELPERS
                depth -= 1
            elif t in (';', '{', '}'):
                return False
            i -= 1
        return False
